"""Delivering the outbox: several senders at once, each over one SMTP connection, each
message marked sent right after the server accepted it (docs/operations.md#email).

A sender **claims** a batch of due messages with a lease (``claim``: one conditional
UPDATE; on PostgreSQL its rows are picked ``FOR UPDATE SKIP LOCKED``, so senders at once
take different rows without waiting for each other), commits, and sends them one by one
under the mail provider's budget (``MAIL_MESSAGES_PER_SECOND``, shared through Redis
like the gateway's), committing each as sent as soon as the server has answered "250".
Its lease is renewed while it sends; a failed message is given its failed try (retried
with backoff, given up after ``OUTBOX_MAX_ATTEMPTS``); when the connection is lost, the
rest of the batch is released for the next sender.

A sender killed mid-batch leaves its messages claimed: they are claimed again once the
lease (``OUTBOX_LEASE_SECONDS``) lapses. Nothing is marked sent that the server did not
accept; what a kill can send twice is the one message per connection that the server had
accepted when the process died before committing it. That copy is the same message
byte for byte, with the same Message-ID (``mailer.build_message``), so receivers that
drop duplicates drop it.

The send-email pass (``send_pass``) sends with one sender per ``OUTBOX_BATCH`` due
messages, at most ``OUTBOX_SENDERS``: as that many jobs on Celery (so several workers
send at once), or as threads of its own process in the embedded runner.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import smtplib
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from crowdfund import queue
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.notifications.mailer import Mailer, build_message
from crowdfund.notifications.models import OutboxMessage
from crowdfund.ratelimit import Budget, mail_budget

log = logging.getLogger("crowdfund.outbox")

#: The job kind of one sender (``send_pass`` queues them on Celery).
EMAIL_SENDER = "email sender"
#: How long a sender job sends before it leaves the rest to the next pass's jobs (jobs
#: stay far shorter than the broker's visibility timeout).
SENDER_JOB_SECONDS = 120
#: The columns a message is built from (read as plain rows: nothing to expire).
_COLUMNS = (OutboxMessage.id, OutboxMessage.recipient_id, OutboxMessage.to_email,
            OutboxMessage.to_name, OutboxMessage.subject, OutboxMessage.text_body,
            OutboxMessage.html_body, OutboxMessage.unsubscribe_url, OutboxMessage.created_at)


@dataclass
class DeliveryReport:
    """What a delivery did: sent, failed (tried again later), given up."""

    sent: int = 0
    failed: int = 0
    given_up: int = 0

    def add(self, other: DeliveryReport) -> DeliveryReport:
        self.sent += other.sent
        self.failed += other.failed
        self.given_up += other.given_up
        return self

    def describe(self) -> str:
        return _("sent: %(sent)s, failed (will retry): %(failed)s, given up: %(given_up)s",
                 sent=self.sent, failed=self.failed, given_up=self.given_up)


def _due(now: datetime):
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                   sa.or_(OutboxMessage.next_attempt_at.is_(None),
                          OutboxMessage.next_attempt_at <= now))


def _unclaimed(at: datetime):
    return sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < at)


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def due_count(now: datetime | None = None) -> int:
    """Messages a sender could claim now."""
    at = utcnow()
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        _due(now or at), _unclaimed(at)))


def claim(sender: str, limit: int, now: datetime | None = None) -> list[int]:
    """Up to ``limit`` due messages nobody holds (oldest first), claimed by ``sender``
    with a lease; their ids. Commits. Two senders at once never get the same message:
    on PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED`` (a sender skips the rows
    another is claiming and holds them until it commits), on SQLite the transaction holds
    the database's one write lock from its start."""
    at = utcnow()
    now = now or at
    ids = list(db.session.scalars(
        sa.select(OutboxMessage.id).where(_due(now), _unclaimed(at))
        .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids))
            .values(claimed_by=sender, claimed_until=at + _lease())
            .execution_options(synchronize_session=False))
    db.session.commit()
    return ids


def _mark_sent(message_id: int) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=utcnow(), attempts=OutboxMessage.attempts + 1, last_error=None,
                claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _failed(message_id: int, error: Exception, now: datetime, report: DeliveryReport) -> None:
    """A failed try: again after OUTBOX_RETRY_BASE x 2^(tries - 1), or given up. Commits."""
    cfg = current_app.config
    db.session.rollback()
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.sent_at is not None:
        db.session.commit()
        return
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.claimed_by = row.claimed_until = None
    if row.attempts >= cfg["OUTBOX_MAX_ATTEMPTS"]:
        row.failed_at = now
        report.given_up += 1
    else:
        row.next_attempt_at = now + cfg["OUTBOX_RETRY_BASE"] * (2 ** (row.attempts - 1))
        report.failed += 1
    db.session.commit()


def _lost_connection(error: Exception) -> bool:
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


class Sender:
    """One sender: claims batches and sends them over one SMTP connection, until nothing
    is due or its time is up. In the caller's app context."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now
        self.name = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.report = DeliveryReport()
        self.budget: Budget = mail_budget(current_app.config)
        self.mailer: Mailer | None = None

    def run(self, until: float) -> DeliveryReport:
        batch = current_app.config["OUTBOX_BATCH"]
        try:
            while time.monotonic() < until:
                ids = claim(self.name, batch, self.now)
                if not ids or not self._send_batch(ids):
                    break
        finally:
            if self.mailer is not None:
                self.mailer.__exit__(None, None, None)
        return self.report

    def _connect(self, ids: list[int]) -> bool:
        cfg = current_app.config
        try:
            self.mailer = Mailer(cfg).__enter__()
        except (smtplib.SMTPException, OSError) as error:
            log.warning("outbox: cannot reach %s:%s: %s", cfg["SMTP_HOST"], cfg["SMTP_PORT"],
                        error)
            for message_id in ids:  # each gets its failed try, as operators expect to see
                _failed(message_id, error, self.now or utcnow(), self.report)
            return False
        return True

    def _send_batch(self, ids: list[int]) -> bool:
        """Send the claimed ``ids``; False when the connection cannot go on."""
        rows = db.session.execute(sa.select(*_COLUMNS).where(
            OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.name)
            .order_by(OutboxMessage.id)).all()
        db.session.commit()  # nothing open while talking to the server
        if self.mailer is None and not self._connect(ids):
            return False
        lease, renewed = _lease().total_seconds(), time.monotonic()
        ours, index = set(ids), 0
        try:
            for index, row in enumerate(rows):
                if time.monotonic() - renewed > lease / 3:
                    ours = self._renew([r.id for r in rows[index:]])
                    renewed = time.monotonic()
                if row.id not in ours:
                    continue  # our lease lapsed and another sender took it
                if not self._send_one(row):
                    return False
            index = len(rows)
            return True
        finally:  # the connection is gone, or something raised: the rest go back
            self._release([r.id for r in rows[index + 1:]])

    def _send_one(self, row) -> bool:
        """One message, under the mail budget (Redis unreachable: raises, sends nothing);
        False when the connection is gone."""
        self.budget.acquire()
        try:
            message = build_message(row, current_app.config)
            db.session.commit()  # building may read (account links)
            self.mailer.send(message)
        except Exception as error:  # noqa: BLE001 - one bad message never blocks the rest
            log.warning("outbox: message %s not sent: %s", row.id, error)
            _failed(row.id, error, self.now or utcnow(), self.report)
            return not _lost_connection(error)
        _mark_sent(row.id)  # only now: the server has accepted it
        self.report.sent += 1
        return True

    def _renew(self, ids: list[int]) -> set[int]:
        """Extend the lease on those of ``ids`` still ours and unsent; those ids."""
        kept = db.session.scalars(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.name,
                   OutboxMessage.sent_at.is_(None))
            .values(claimed_until=utcnow() + _lease())
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)).all()
        db.session.commit()
        return set(kept)

    def _release(self, ids: list[int]) -> None:
        """Give back what this sender will not send (another sender may take it now)."""
        if ids:
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.name)
                .values(claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False))
            db.session.commit()


def deliver_due(now: datetime | None = None, *, senders: int = 1,
                seconds: float | None = None) -> DeliveryReport:
    """Send what is due with ``senders`` senders at once (threads, each with its own
    connection), until nothing is due or ``seconds`` (default OUTBOX_INTERVAL_SECONDS)
    have passed. ``now``: what counts as due. Commits. Without SMTP_HOST nothing is sent."""
    cfg = current_app.config
    db.session.commit()
    if not cfg.get("SMTP_HOST"):
        return DeliveryReport()
    until = time.monotonic() + (cfg["OUTBOX_INTERVAL_SECONDS"] if seconds is None else seconds)
    if senders <= 1:
        return Sender(now).run(until)
    app = current_app._get_current_object()
    report = DeliveryReport()
    with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="outbox") as pool:
        for done in [pool.submit(_sender_thread, app, now, until) for _ in range(senders)]:
            report.add(done.result())
    return report


def _sender_thread(app: Flask, now: datetime | None, until: float) -> DeliveryReport:
    with app.app_context():
        return Sender(now).run(until)


def send_pass() -> str:
    """The send-email pass: one sender per OUTBOX_BATCH due messages, at most
    OUTBOX_SENDERS; as jobs when Celery runs the work (each worker that takes one sends),
    as threads here otherwise (the embedded runner)."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        return _("SMTP_HOST is not set: messages stay in the outbox")
    due = due_count()
    senders = min(cfg["OUTBOX_SENDERS"], math.ceil(due / cfg["OUTBOX_BATCH"]))
    if senders == 0:
        db.session.commit()
        return _("nothing due")
    if cfg.get("CELERY_BROKER_URL"):
        for number in range(1, senders + 1):  # one waiting per number, however many passes
            queue.enqueue(EMAIL_SENDER, number, key=f"{EMAIL_SENDER} {number}")
        db.session.commit()
        return ngettext("%(due)s due: %(num)s sender", "%(due)s due: %(num)s senders", senders,
                        due=due)
    return deliver_due(senders=senders).describe()


def send_as_job(number: int) -> str:
    """One sender job (``number``: which of the pass's senders): sends until nothing is
    due or SENDER_JOB_SECONDS have passed."""
    return deliver_due(seconds=SENDER_JOB_SECONDS).describe()
