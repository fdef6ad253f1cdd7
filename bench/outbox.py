"""Email at deadline speed: the outbox's senders against one plain SMTP connection, to the
same local SMTP sink (aiosmtpd), in the same run.

    .venv/bin/python bench/outbox.py [--messages 5000] [--senders 1 --senders 2 ...]
                                     [--budget 0] [--database-url postgresql://...]

For each number of senders: N messages are queued (rendered once by the real layouts, one
row each); then

- **baseline**: one process reads the rows, builds every message into bytes (not timed)
  and sends them with plain smtplib over one connection;
- **outbox**: that many ``flask outbox send --senders 1`` processes send the same rows,
  each claiming batches, marking each message sent in its own commit, under the mail
  budget (``--budget``: MAIL_MESSAGES_PER_SECOND; 0, the default here: none; without a
  broker each process keeps its own).

Rates are read at the sink (first to last message). Goal: the outbox sends >= 200
messages/s; the ratio to one bare connection says what claiming and marking cost. SQLite
in a temporary folder unless ``--database-url`` (its schema is dropped and made again).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, fresh_schema  # noqa: E402

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


class Sink:
    """An aiosmtpd handler that keeps, for each message it accepts, its Message-ID, a
    digest of its bytes and when it arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, float]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        content = envelope.original_content or envelope.content
        found = _MESSAGE_ID.search(content)
        identity = found.group(1).decode() if found else ""
        with self.lock:
            self.received.append((identity, hashlib.sha256(content).hexdigest(),
                                  time.monotonic()))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def since(self, start: int) -> list[tuple[str, str, float]]:
        with self.lock:
            return self.received[start:]


def start_sink():
    """A running sink on a free port: (controller, sink, port)."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, sink, port


def queue_messages(app, n: int) -> list[int]:
    """``n`` outbox rows (a receipt-like message rendered once by the real layouts, to
    ``n`` addresses), inserted in one go; their ids."""
    import sqlalchemy as sa

    from crowdfund.db import utcnow
    from crowdfund.extensions import db
    from crowdfund.notifications.models import OutboxMessage
    from crowdfund.notifications.outbox import Email, _row

    with app.app_context():
        email = Email("Your receipt for Harbour Lights", "Hello Ada,",
                      ["Thank you: your pledge of $42.50 to Harbour Lights was collected.",
                       "The founder will post updates as the clocks are made."] * 3,
                      facts=[("Campaign", "Harbour Lights"), ("Amount", "$42.50")],
                      action=("See your pledge", "http://127.0.0.1:5000/pledges/1"))
        now = utcnow()
        template = _row("x", "receipt", "x", "Ada", email, None, now)
        first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutboxMessage.id), 0)))
        rows = [{**template, "dedupe_key": f"bench-{first + i}",
                 "to_email": f"backer{first + i}@bench.invalid"} for i in range(n)]
        db.session.execute(sa.insert(OutboxMessage), rows)
        db.session.commit()
        return list(db.session.scalars(sa.select(OutboxMessage.id).where(
            OutboxMessage.id > first).order_by(OutboxMessage.id)))


def unsent(app) -> int:
    import sqlalchemy as sa

    from crowdfund.extensions import db
    from crowdfund.notifications.models import OutboxMessage

    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.sent_at.is_(None)))
        db.session.commit()
        return count


def environment(url: str, port: int, budget: float) -> dict[str, str]:
    return {**os.environ, "CROWDFUND_ENV": "testing", "DATABASE_URL": url,
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
            "MAIL_MESSAGES_PER_SECOND": str(budget), "LOG_LEVEL": "WARNING"}


def sender(env: dict[str, str], *extra: str) -> subprocess.Popen:
    """``flask outbox send`` with one sender, in a session of its own (so that a kill
    takes exactly it)."""
    return subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", "--senders", "1",
         *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)


def rate(arrivals: list[float]) -> float:
    return (len(arrivals) - 1) / (max(arrivals) - min(arrivals)) if len(arrivals) > 1 else 0.0


def app_for(url: str):
    from crowdfund import create_app

    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})


def as_sent(message) -> bytes:
    """The bytes smtplib sends for ``message`` (lines ending in CRLF)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def baseline_child(url: str, port: int) -> None:
    """The same unsent rows, built first, then sent over one bare smtplib connection."""
    import smtplib

    import sqlalchemy as sa

    from crowdfund.extensions import db
    from crowdfund.notifications.mailer import build_message
    from crowdfund.notifications.models import OutboxMessage

    app = app_for(url)
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)).all()
        messages = [(row.to_email, as_sent(build_message(row, app.config))) for row in rows]
        sender = app.config["MAIL_FROM"]
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
        for to, message in messages:
            connection.sendmail(sender, [to], message)


def measure(app, url: str, sink: Sink, port: int, n: int, senders: int,
            budget: float) -> dict:
    ids = queue_messages(app, n)
    start = sink.count()
    subprocess.run([sys.executable, __file__, "--baseline-child", "--database-url", url,  # noqa: S603
                    "--port", str(port)], cwd=ROOT, check=True)
    baseline = [at for _id, _digest, at in sink.since(start)]
    start = sink.count()
    env = environment(url, port, budget)
    processes = [sender(env) for _ in range(senders)]
    for process in processes:
        _out, err = process.communicate(timeout=600)
        if process.returncode:
            raise SystemExit(err.decode()[-3000:])
    ours = sink.since(start)
    left = unsent(app)
    return {"senders": senders, "messages": len(ids), "baseline": rate(baseline),
            "ours": rate([at for _id, _digest, at in ours]), "left": left,
            "duplicates": len(ours) - len({identity for identity, _d, _at in ours})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--senders", type=int, action="append",
                        help="sender processes (repeat); default 1, 2 and 4")
    parser.add_argument("--budget", type=float, default=0.0,
                        help="MAIL_MESSAGES_PER_SECOND for the senders (0: no budget; "
                             "without a broker here, each sender process has its own)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--baseline-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from crowdfund.config import normalise_database_url

    if args.baseline_child:
        baseline_child(args.database_url, args.port)
        return
    folder = tempfile.mkdtemp(prefix="crowdfund-bench-")
    url = (normalise_database_url(args.database_url) if args.database_url
           else f"sqlite:///{folder}/bench.sqlite3")
    app = app_for(url)
    fresh_schema(app)
    controller, sink, port = start_sink()
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"outbox to a local SMTP sink on {engine}, {args.messages} messages per run, "
          f"budget {args.budget:g}/s" if args.budget else
          f"outbox to a local SMTP sink on {engine}, {args.messages} messages per run, no budget")
    print(f"{'senders':>7} {'baseline/s':>11} {'outbox/s':>9} {'outbox/baseline':>16} "
          f"{'unsent':>7} {'duplicates':>11}")
    try:
        for senders in args.senders or [1, 2, 4]:
            row = measure(app, url, sink, port, args.messages, senders, args.budget)
            print(f"{row['senders']:>7} {row['baseline']:>11.0f} {row['ours']:>9.0f} "
                  f"{row['ours'] / row['baseline']:>16.2f} {row['left']:>7} "
                  f"{row['duplicates']:>11}", flush=True)
    finally:
        controller.stop()
    print("goal: outbox >= 200 messages/s; unsent 0 and duplicates 0 (nobody was killed)")


if __name__ == "__main__":
    main()
