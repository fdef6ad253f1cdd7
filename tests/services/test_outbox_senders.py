"""Email at deadline speed: several senders at once, each message claimed by one of them,
marked sent only once the SMTP server accepted it, and sent again after a sender died
with the same Message-ID and the same bytes (``crowdfund/notifications/delivery.py``).

The sink is a real SMTP server (aiosmtpd, ``bench/outbox.py``'s) that keeps each
message's Message-ID and a digest of its bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.outbox import queue_messages, start_sink
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications import delivery
from crowdfund.notifications.mailer import build_message, message_id
from crowdfund.notifications.models import OutboxMessage
from crowdfund.queue import Job, JobStatus
from crowdfund.queue import prune as prune_jobs
from crowdfund.queue import recent as recent_jobs
from crowdfund.queue import run as run_job

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sink(app):
    controller, sink, port = start_sink()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_MESSAGES_PER_SECOND=0)
    try:
        yield sink
    finally:
        controller.stop()
        app.config.update(SMTP_HOST=None, SMTP_PORT=25, MAIL_MESSAGES_PER_SECOND=100.0)


def _identities(app, ids: list[int] | None = None) -> dict[int, str]:
    """Each message's Message-ID, as its row makes it."""
    query = sa.select(OutboxMessage)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    return {row.id: message_id(row, app.config) for row in db.session.scalars(query)}


def _unsent() -> int:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None)))
    db.session.commit()
    return count


def test_a_message_is_the_same_message_on_every_try(app, session):
    [first] = queue_messages(app, 1)
    row = db.session.get(OutboxMessage, first)
    once, again = build_message(row, app.config), build_message(row, app.config)
    assert once.as_bytes() == again.as_bytes()  # Message-ID, boundary and Date included
    assert once["Message-ID"].startswith(f"<outbox-{first}.")
    assert once["Date"] and once["Message-ID"] == message_id(row, app.config)
    db.session.commit()
    other = db.session.get(OutboxMessage, queue_messages(app, 1)[0])
    assert build_message(other, app.config)["Message-ID"] != once["Message-ID"]


def test_senders_at_once_send_each_message_once(app, session, sink):
    ids = queue_messages(app, 400)
    app.config["OUTBOX_BATCH"] = 25
    try:
        report = delivery.deliver_due(senders=4)
    finally:
        app.config["OUTBOX_BATCH"] = 100
    assert (report.sent, report.failed, report.given_up) == (400, 0, 0)
    received = [identity for identity, _digest, _at in sink.received]
    assert sorted(received) == sorted(_identities(app, ids).values())  # each exactly once
    assert _unsent() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.claimed_by.is_not(None))) == 0


def test_a_dead_senders_messages_wait_for_its_lease_then_go(app, session, sink):
    ids = queue_messages(app, 30)
    assert delivery.claim("dead-sender", 20) == ids[:20]  # ... and it dies here
    assert delivery.deliver_due().sent == 10  # the rest; its claim still holds
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.claimed_by == "dead-sender")
                       .values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert delivery.deliver_due().sent == 20  # its lease lapsed: sent by another
    assert len(sink.received) == 30 and _unsent() == 0


def test_a_sender_slower_than_its_lease_renews_it(app, session, sink):
    """A budget of 20 messages/s makes each sender's batch of 20 take a second, twice the
    lease: the lease is renewed as it goes, so the other senders never take its messages
    (each arrives once)."""
    ids = queue_messages(app, 60)
    app.config.update(OUTBOX_LEASE_SECONDS=1, OUTBOX_BATCH=20, MAIL_MESSAGES_PER_SECOND=20)
    try:
        report = delivery.deliver_due(senders=3)
    finally:
        app.config.update(OUTBOX_LEASE_SECONDS=60, OUTBOX_BATCH=100, MAIL_MESSAGES_PER_SECOND=0)
    received = [identity for identity, _digest, _at in sink.received]
    assert report.sent == 60 and len(received) == len(set(received)) == 60
    assert set(received) == set(_identities(app, ids).values())


def test_the_mail_budget_is_the_platforms(app, session, sink, redis_url):
    """MAIL_MESSAGES_PER_SECOND is shared by every sender (through Redis here): three
    senders at once keep to 40 messages/s together."""
    queue_messages(app, 100)
    app.config.update(MAIL_MESSAGES_PER_SECOND=40, CELERY_BROKER_URL=redis_url)
    try:
        delivery.deliver_due(senders=3)
    finally:
        app.config.update(MAIL_MESSAGES_PER_SECOND=0, CELERY_BROKER_URL=None)
    arrivals = sorted(at for _identity, _digest, at in sink.received)
    assert len(arrivals) == 100
    assert arrivals[-1] - arrivals[0] >= (100 - 4) / 40 - 0.1  # a burst of 4, then 40/s
    most_in_a_second = max(sum(1 for other in arrivals if at <= other <= at + 1)
                           for at in arrivals)
    assert most_in_a_second <= 40 + 4 + 1, most_in_a_second


def test_the_send_email_pass_fans_out_to_sender_jobs_on_celery(app, session, sink):
    queue_messages(app, 250)
    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:1/0")  # never reached: no hints
    try:
        assert delivery.send_pass() == "250 due: 3 senders"
        assert delivery.send_pass() == "250 due: 3 senders"  # the same three jobs, waiting
        jobs = db.session.scalars(sa.select(Job).where(
            Job.kind == delivery.EMAIL_SENDER).order_by(Job.id)).all()
        assert [job.key for job in jobs] == ["email sender 1", "email sender 2",
                                             "email sender 3"]
        job_ids = [job.id for job in jobs]
        db.session.commit()
        for job_id in job_ids:
            run_job(app, job_id)
    finally:
        app.config.update(CELERY_BROKER_URL=None)
    assert _unsent() == 0 and len(sink.received) == 250
    statuses = db.session.scalars(sa.select(Job.status).where(Job.id.in_(job_ids))).all()
    assert statuses == [JobStatus.DONE] * 3
    # Started every few seconds while mail waits: forgotten after an hour, like the passes.
    db.session.execute(sa.update(Job).where(Job.id.in_(job_ids[:2])).values(
        finished_at=utcnow() - timedelta(minutes=61)))
    assert prune_jobs() == 2
    assert [job.id for job in recent_jobs()] == []


def test_the_embedded_send_email_pass_sends_with_threads(app, session, sink):
    queue_messages(app, 250)
    assert delivery.send_pass() == "sent: 250, failed (will retry): 0, given up: 0"
    assert len({identity for identity, _digest, _at in sink.received}) == 250
    assert delivery.send_pass() == "nothing due"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


@pytest.mark.postgres_only
def test_senders_claiming_at_once_never_claim_the_same_message(app, session):
    """Four senders start claiming batches of 20 from 600 messages at the same moment and
    go on until none is left: every message is claimed, each by one sender."""
    queue_messages(app, 600)
    claimed: dict[str, list[int]] = {f"s{i}": [] for i in range(4)}
    barrier = threading.Barrier(4)

    def sender(name: str) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            while ids := delivery.claim(name, 20):
                claimed[name].extend(ids)

    threads = [threading.Thread(target=sender, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [message for ids in claimed.values() for message in ids]
    assert len(every) == len(set(every)) == 600
    assert sum(1 for ids in claimed.values() if ids) >= 2  # they did claim at the same time


# --- 10,000 messages, four sender processes, one SIGKILLed mid-batch ----------------------

MESSAGES, SENDERS, LEASE = 10_000, 4, 4


def _sender(app, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CROWDFUND_ENV": "testing",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "MAIL_MESSAGES_PER_SECOND": "0",
           "OUTBOX_LEASE_SECONDS": str(LEASE), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", "--watch",
         "--interval", "1", "--senders", "1"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True)


def _holding(pid: int) -> int:
    """Messages a sender process has claimed and not sent."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.claimed_by.like(f"%:{pid}:%"), OutboxMessage.sent_at.is_(None)))
    db.session.commit()
    return count


def test_ten_thousand_emails_through_four_senders_one_killed_mid_batch(app, session, sink,
                                                                      tmp_path):
    """Each message arrives; none is marked sent that did not arrive; a message sent twice
    is the same message (Message-ID and bytes). What may arrive twice: the message a killed
    sender's connection had delivered when it died before committing it (at most one per
    killed connection), so at most one here."""
    ids = queue_messages(app, MESSAGES)
    expected = _identities(app, ids)
    db.session.commit()
    port = app.config["SMTP_PORT"]
    started = time.monotonic()
    senders = [_sender(app, port, tmp_path / f"sender{n}.log") for n in range(SENDERS)]
    try:
        victim, deadline = None, time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            if len(sink.received) >= MESSAGES // 5:
                victim = next((p for p in senders if _holding(p.pid)), None)
            time.sleep(0.02)
        assert victim is not None, "no sender was seen holding a batch"
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        left_claimed = _holding(victim.pid)
        assert left_claimed > 0  # killed mid-batch: its claimed messages wait for the lease
        deadline = time.monotonic() + 90
        while _unsent() and time.monotonic() < deadline:
            time.sleep(0.2)
        seconds = time.monotonic() - started
    finally:
        for process in senders:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)
    logs = "".join(log.read_text()[-2000:] for log in tmp_path.glob("sender*.log"))
    assert _unsent() == 0, logs
    received = list(sink.received)
    copies: dict[str, set[str]] = {}
    for identity, digest, _at in received:
        copies.setdefault(identity, set()).add(digest)
    assert set(copies) == set(expected.values())  # every message arrived; nothing else did
    assert all(len(digests) == 1 for digests in copies.values())  # copies are identical
    duplicates = len(received) - len(copies)
    assert duplicates <= 1, duplicates  # one killed sender, one connection
    print(f"{MESSAGES} messages by {SENDERS} senders in {seconds:.1f} s "
          f"({MESSAGES / seconds:.0f}/s, the lease of {LEASE} s included); the killed "
          f"sender held {left_claimed}; duplicates: {duplicates}")
