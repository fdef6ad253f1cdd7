"""Queueing email (in the caller's transaction) and delivering it after commit.

``queue`` adds an outbox row and never commits: the message exists exactly when the event
it reports does. ``deliver_due`` sends what is waiting through SMTP, one row at a time,
committing after each so that a message is marked sent right after it went out; a failed
try is retried later with backoff, and given up after ``OUTBOX_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import sqlalchemy as sa
from flask import current_app

from crowdfund.db import collecting, dialect_insert, utcnow
from crowdfund.extensions import db
from crowdfund.notifications.links import expand_links
from crowdfund.notifications.models import OutboxMessage

log = logging.getLogger("crowdfund.outbox")


@dataclass(frozen=True)
class Email:
    """What a message says; the layouts turn it into plain text and HTML."""

    subject: str
    greeting: str
    paragraphs: list[str]
    #: (label, value) pairs shown as a small table: campaign, amounts, dates.
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: The one thing to do, as (label, absolute URL).
    action: tuple[str, str] | None = None
    #: For a message of a kind people may turn off: (what it is, the unsubscribe URL).
    unsubscribe: tuple[str, str] | None = None


def queue(kind: str, dedupe_key: str, to_email: str, to_name: str, email: Email, *,
          recipient_id: int | None) -> bool:
    """Add a message to the outbox (no commit). False if ``dedupe_key`` is queued already.
    ``recipient_id``: the person it is written to (None only for an address no account
    has): their archive and closing find it by that, whatever their address is later.

    Inside :func:`batch` the message waits for the batch's single INSERT (True then means
    "not queued twice in this batch")."""
    key = dedupe_key[:120]
    pending = db.session.info.get(_BATCH)
    if pending is not None:
        if key in pending:
            return False
        pending[key] = (kind, to_email, to_name, email, recipient_id)
        return True
    exists = db.session.scalar(sa.select(OutboxMessage.id).where(  # autoflush: sees new rows
        OutboxMessage.dedupe_key == key))
    if exists is not None:
        return False
    result = db.session.execute(
        _insert().values(**_row(key, kind, to_email, to_name, email, recipient_id, utcnow()))
        .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.id))
    return result.scalar() is not None  # no row back: it was there already


_BATCH = "outbox_batch"


@contextmanager
def batch() -> Iterator[None]:
    """Messages queued inside go in with one SELECT of the keys already queued and one
    multi-row INSERT at the end (a closing campaign queues one per pledge). Nested
    batches join the outer one; nothing is inserted if the block raises."""
    with collecting(db.session, _BATCH) as pending:  # {dedupe key: message}
        yield
    if not pending:
        return  # nested (the outer batch inserts), or nothing queued
    queued = set(db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_(list(pending)))))
    now = utcnow()
    rows = [_row(key, *message, now) for key, message in pending.items() if key not in queued]
    if rows:
        # ON CONFLICT DO NOTHING: a message queued at the same instant by another process
        # stays queued once, with no savepoint per message.
        db.session.execute(_insert().on_conflict_do_nothing(index_elements=["dedupe_key"]),
                           rows)


def _insert():
    return dialect_insert(db.session, OutboxMessage)


def _row(key: str, kind: str, to_email: str, to_name: str, email: Email,
         recipient_id: int | None, now: datetime) -> dict:
    # The layouts need nothing but the message: rendered by Jinja itself, without Flask's
    # context processors (a closing campaign renders two per pledge).
    templates = current_app.jinja_env
    context = {"email": email, "to_name": to_name}
    return {"dedupe_key": key, "kind": kind, "to_email": to_email, "to_name": to_name[:120],
            "recipient_id": recipient_id,
            "subject": email.subject[:200],
            "text_body": templates.get_template("emails/layout.txt").render(context),
            "html_body": templates.get_template("emails/layout.html").render(context),
            "unsubscribe_url": email.unsubscribe[1] if email.unsubscribe else None,
            "next_attempt_at": now, "created_at": now, "attempts": 0}


def one_line(text: str) -> str:
    """A header value: control characters (line breaks above all) become spaces. Titles are
    refused with line breaks at input; this keeps a header safe whatever reached the row."""
    return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())


def _message(row: OutboxMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = one_line(current_app.config["MAIL_FROM"])
    to_name, to_email = one_line(row.to_name), one_line(row.to_email)
    message["To"] = formataddr((to_name, to_email)) if to_name else to_email
    message["Subject"] = one_line(row.subject)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain="crowdfund.invalid")
    if row.unsubscribe_url:  # RFC 2369, and one click without a page (RFC 8058)
        message["List-Unsubscribe"] = f"<{one_line(row.unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(expand_links(row.text_body))
    message.add_alternative(expand_links(row.html_body), subtype="html")
    return message


class Mailer:
    """One SMTP connection for a batch of messages (settings SMTP_*)."""

    def __init__(self, config) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        cfg = self.config
        security = cfg["SMTP_SECURITY"]
        if security == "ssl":
            self.connection = smtplib.SMTP_SSL(cfg["SMTP_HOST"], cfg["SMTP_PORT"],
                                               timeout=cfg["SMTP_TIMEOUT"],
                                               context=ssl.create_default_context())
        else:
            self.connection = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"],
                                           timeout=cfg["SMTP_TIMEOUT"])
            if security == "starttls":
                self.connection.starttls(context=ssl.create_default_context())
        if cfg.get("SMTP_USERNAME"):
            self.connection.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
        return self

    def send(self, message: EmailMessage) -> None:
        assert self.connection is not None
        self.connection.send_message(message)

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0


def due_ids(now: datetime, limit: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
            sa.or_(OutboxMessage.next_attempt_at.is_(None),
                   OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id).limit(limit)))


def deliver_due(now: datetime | None = None) -> DeliveryReport:
    """Send what is due (commits per message). Without SMTP_HOST, nothing is sent."""
    cfg = current_app.config
    report = DeliveryReport()
    if not cfg.get("SMTP_HOST"):
        return report
    now = now or utcnow()
    ids = due_ids(now, cfg["OUTBOX_BATCH"])
    db.session.commit()
    if not ids:
        return report
    try:
        mailer = Mailer(cfg).__enter__()
    except (smtplib.SMTPException, OSError) as error:
        log.warning("outbox: cannot reach %s:%s: %s", cfg["SMTP_HOST"], cfg["SMTP_PORT"], error)
        for message_id in ids:
            _failed(db.session.get(OutboxMessage, message_id), error, now, report)
        db.session.commit()
        return report
    try:
        for message_id in ids:
            row = db.session.get(OutboxMessage, message_id)
            if row is None or row.sent_at is not None:
                continue
            try:
                message = _message(row)
                db.session.commit()  # nothing open while talking to the server
                mailer.send(message)
            except Exception as error:  # noqa: BLE001 - one bad message never blocks the rest
                db.session.rollback()
                log.warning("outbox: message %s not sent: %s", message_id, error)
                row = db.session.get(OutboxMessage, message_id)
                _failed(row, error, now, report)
                if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
                    db.session.commit()
                    break  # the connection is gone: the rest wait for the next pass
            else:
                row.attempts += 1
                row.sent_at = utcnow()
                row.last_error = None
                report.sent += 1
            db.session.commit()
    finally:
        mailer.__exit__(None, None, None)
    return report


def _failed(row: OutboxMessage, error: Exception, now: datetime, report: DeliveryReport) -> None:
    cfg = current_app.config
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts >= cfg["OUTBOX_MAX_ATTEMPTS"]:
        row.failed_at = now
        report.given_up += 1
    else:
        row.next_attempt_at = now + cfg["OUTBOX_RETRY_BASE"] * (2 ** (row.attempts - 1))
        report.failed += 1
