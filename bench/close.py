"""A big campaign's deadline: the close and the full settle, their speed, memory and locks.

    .venv/bin/python bench/close.py [--pledges 10000 --pledges 100000]
                                    [--database-url postgresql://...]

For each size N it seeds (in bulk) a live campaign past its deadline with N active pledges
on saved cards, spread over five reward tiers, twice: one that failed (the close releases
every pledge and tells each backer) and one that is funded (the close tells each backer,
then every pledge is charged once: the full settle). Each is settled by the real
``Settler`` in a process of its own, against a gateway that answers at once (no network),
so that what is measured is our code alone. It prints for each run: pledges/s, the
process's peak resident memory, and the longest database transaction it held. Then the
ratios issue 12 sets goals for: peak memory at the largest size over the smallest
(<= 1.2), the longest transaction (<= 1 s), full settle >= 500 pledges/s. Meanwhile a
visitor reads the home page and the campaign's page in this process, one request after
another: their p99 latency (goal < 0.5 s while a 100k-pledge campaign closes on SQLite)
and how many answered 5xx (goal none).

The visitor pauses ``READER_PAUSE`` seconds (0.05) between pairs of requests: raise it
to measure the settle rate with the 2 cores to itself.

SQLite in a temporary folder unless ``--database-url`` (its schema is dropped and made
again for every run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import NO_LOGIN, fresh_schema, past_deadline_campaign  # noqa: E402


class InstantGateway:
    """Answers every charge and detach at once, and keeps nothing (memory stays ours)."""

    def charge_off_session(self, *, amount, customer_id, payment_method_id, metadata,
                           idempotency_key):
        from crowdfund.payments.gateway import PaymentIntentInfo

        return PaymentIntentInfo(f"pi_{idempotency_key}", "succeeded", amount, "secret")

    def detach_payment_method(self, payment_method_id: str) -> None:
        return None

    def __getattr__(self, name):
        raise NotImplementedError(f"the bench gateway does not do {name}")


def app_for(url: str):
    from crowdfund import create_app

    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                       "SETTLE_REQUESTS_PER_SECOND": 1_000_000, "SETTLE_CONCURRENCY": 4,
                       "SETTLE_BATCH": 500})


def seed(app, n: int, funded: bool) -> int:
    """A campaign past its deadline with ``n`` active pledges, inserted in bulk."""
    import sqlalchemy as sa

    from crowdfund.auth.models import User
    from crowdfund.campaigns.models import RewardTier
    from crowdfund.db import utcnow
    from crowdfund.extensions import db
    from crowdfund.pledges import summary
    from crowdfund.pledges.models import Pledge, PledgeStatus

    now = utcnow()
    with app.app_context():
        campaign = past_deadline_campaign(1000 if funded else 10**12)
        for i in range(5):
            campaign.tiers.append(RewardTier(title=f"Tier {i}", minimum_minor=1000,
                                             position=i, quantity_limit=n, claimed=n // 5))
        db.session.commit()
        tiers = [t.id for t in campaign.tiers]
        step = 5000
        for start in range(0, n, step):
            users = [{"email": f"b{i}@bench.invalid", "password_hash": NO_LOGIN,
                      "display_name": f"Backer {i}", "payment_customer_id": f"cus_{i}",
                      "created_at": now, "updated_at": now, "email_verified_at": now}
                     for i in range(start, min(n, start + step))]
            ids = db.session.scalars(sa.insert(User).returning(User.id), users).all()
            db.session.execute(sa.insert(Pledge), [
                {"campaign_id": campaign.id, "backer_id": user_id, "tier_id": tiers[k % 5],
                 "status": PledgeStatus.ACTIVE, "amount_minor": 1000 + k % 5000,
                 "shipping_minor": 0, "refunded_minor": 0, "setup_attempts": 1,
                 "reminders_sent": 0, "currency": "USD", "payment_method_id": f"pm_{k}",
                 "card_brand": "visa", "card_last4": "4242", "created_at": now,
                 "updated_at": now} for k, user_id in enumerate(ids, start)])
            db.session.commit()
        summary.rebuild([campaign.id])  # the kept day totals, as the ORM would have kept them
        db.session.commit()
        return campaign.id


def child(url: str, campaign_id: int) -> None:
    """Settle one campaign, timing every database transaction; print the figures."""
    from sqlalchemy import event

    from crowdfund.extensions import db
    from crowdfund.settlement.runner import Settler

    app = app_for(url)
    longest = [0.0, 0]
    guard = threading.Lock()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "begin")
    def began(conn):
        conn.info["began"] = time.perf_counter()

    def ended(conn):
        began_at = conn.info.pop("began", None)
        if began_at is not None:
            with guard:
                longest[0] = max(longest[0], time.perf_counter() - began_at)
                longest[1] += 1

    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    started = time.perf_counter()
    report = Settler(app, InstantGateway(), worker="bench").settle(campaign_id)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "longest_txn": longest[0],
                      "transactions": longest[1], "report": report.describe()}))


def read_while(app, proc: subprocess.Popen) -> tuple[list[float], int, int, object]:
    """A visitor reading the home page and the campaign's page, one request after the
    other, for as long as ``proc`` runs: each request's seconds, how many were 5xx, and
    the child's exit status and resource usage (``wait4``: its own peak memory)."""
    client = app.test_client()
    seconds, errors = [], 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return seconds, errors, status, usage
        for path in ("/", "/campaigns/bench"):
            started = time.perf_counter()
            code = client.get(path).status_code
            seconds.append(time.perf_counter() - started)
            errors += code >= 500
        time.sleep(float(os.environ.get("READER_PAUSE", "0.05")))


def run(url: str, n: int, funded: bool) -> dict:
    app = app_for(url)
    fresh_schema(app)
    campaign_id = seed(app, n, funded)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(  # noqa: S603 - this script
            [sys.executable, __file__, "--child", str(campaign_id), "--database-url", url],
            cwd=ROOT, stdout=out, stderr=err, text=True)
        latencies, errors, status, usage = read_while(app, proc)
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"settling failed:\n{err.read()[-3000:]}")
        row = json.loads(out.read().strip().splitlines()[-1])
    latencies.sort()
    row.update(pledges=n, outcome="funded" if funded else "failed",
               peak_mib=usage.ru_maxrss / 1024, per_s=n / row["seconds"],
               reader_p99=latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
               reader_max=latencies[-1] if latencies else 0.0, reader_5xx=errors,
               reads=len(latencies))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pledges", type=int, action="append",
                        help="pledges in the campaign (repeat for several sizes); "
                             "default 10000 and 100000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from crowdfund.config import normalise_database_url

    if args.child:
        child(args.database_url, args.child)
        return
    sizes = sorted(args.pledges or [10_000, 100_000])
    folder = tempfile.mkdtemp(prefix="crowdfund-bench-")
    url = (normalise_database_url(args.database_url) if args.database_url
           else f"sqlite:///{folder}/bench.sqlite3")
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"deadline of one campaign on {engine}, gateway answering at once")
    print(f"{'outcome':>8} {'pledges':>8} {'seconds':>8} {'pledges/s':>10} {'peak MiB':>9} "
          f"{'longest txn s':>14} {'reads':>6} {'read p99 s':>11} {'5xx':>4}")
    rows = []
    for funded in (False, True):
        for n in sizes:
            if url.startswith("sqlite"):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{folder}/bench.sqlite3{suffix}").unlink(missing_ok=True)
            row = run(url, n, funded)
            rows.append(row)
            print(f"{row['outcome']:>8} {n:>8} {row['seconds']:>8.1f} {row['per_s']:>10.0f} "
                  f"{row['peak_mib']:>9.1f} {row['longest_txn']:>14.3f} {row['reads']:>6} "
                  f"{row['reader_p99']:>11.3f} {row['reader_5xx']:>4}   ({row['report']})",
                  flush=True)
    small, large = sizes[0], sizes[-1]
    for outcome in ("failed", "funded"):
        by_n = {r["pledges"]: r for r in rows if r["outcome"] == outcome}
        what = "close (failed)" if outcome == "failed" else "full settle (funded)"
        print(f"{what}: peak memory {large} / {small} pledges = "
              f"{by_n[large]['peak_mib'] / by_n[small]['peak_mib']:.2f} (goal <= 1.2); "
              f"longest transaction {max(r['longest_txn'] for r in by_n.values()):.2f} s "
              f"(goal <= 1); {min(r['per_s'] for r in by_n.values()):.0f} pledges/s"
              + (" (goal >= 500)" if outcome == "funded" else "")
              + f"; a reader meanwhile: p99 {max(r['reader_p99'] for r in by_n.values()):.3f} s "
              f"(goal < 0.5), {sum(r['reader_5xx'] for r in by_n.values())} 5xx (goal 0)")


if __name__ == "__main__":
    main()
