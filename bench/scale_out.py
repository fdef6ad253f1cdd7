"""Scale-out: the gateway request rate that 1, 2 and 3 Celery workers achieve, as a ratio to
the platform's configured global budget (one token bucket in Redis for every worker).

    .venv/bin/python bench/scale_out.py --database-url postgresql://.../crowdfund_bench \
        [--workers 1 --workers 2 --workers 3] [--pledges 600] [--budget 40]

For each worker count it empties the database, migrates it, seeds a funded campaign of N
pledges whose cards really exist in a fresh Stripe sandbox, starts that many workers and
beat (real processes, Redis from Debian's redis-server), and waits until the campaign is
charged. Read back from the sandbox's own request log:

- **rate / budget**: charges per second between the first and the last charge, over the
  budget. Goal: >= 0.9 (the workers keep the gateway busy) and never above 1.1;
- **busiest 5 s / budget**: the most requests in any 5-second window, over 5 x budget.
  Goal: <= 1.1 whatever the number of workers (one shared bucket, not one per worker).

The budget must stay below what the sandbox serves on this machine, or the sandbox and not
the budget sets the pace (bench/settle.py measures the sandbox's own rate).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import Cluster, busiest_window, sandbox_get, saved_cards  # noqa: E402
from bench.common import free_port, seed_funded  # noqa: E402
from bench.settle import start_sandbox  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    if not shutil.which(REDIS_SERVER):
        raise SystemExit(f"needs Debian's redis-server at {REDIS_SERVER}")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - Debian's redis-server on 127.0.0.1
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def environment(database_url: str, broker: str, sandbox: str, budget: float) -> dict[str, str]:
    return {"CROWDFUND_ENV": "production", "SECRET_KEY": "bench-only",
            "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
            "PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_test_bench",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_bench", "STRIPE_API_BASE": sandbox,
            "STRIPE_WEBHOOK_SECRET": "whsec_bench", "SANDBOX_DEPLOYMENT": "1",
            "SETTLE_REQUESTS_PER_SECOND": str(budget),
            "SETTLE_BATCH": "50", "SETTLE_CONCURRENCY": "4", "SETTLE_INTERVAL_SECONDS": "2",
            "JOB_SWEEP_SECONDS": "5", "LOG_LEVEL": "WARNING"}


def fresh_database(env: dict[str, str]) -> None:
    """An empty, migrated database (the bench database is the bench's own)."""
    import sqlalchemy as sa

    from crowdfund.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(env["DATABASE_URL"]))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],  # noqa: S603
                   cwd=ROOT, env={**os.environ, **env}, capture_output=True, check=True)


def charged(env: dict[str, str], campaign_id: int) -> bool:
    import sqlalchemy as sa

    from crowdfund.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(env["DATABASE_URL"]))
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text(
                "SELECT status FROM campaigns WHERE id = :id"), {"id": campaign_id}) == "collecting"
    finally:
        engine.dispose()


def run(workers: int, pledges: int, budget: float, database_url: str, folder: Path) -> dict:
    sandbox, base = start_sandbox(faults=True)
    redis_process, broker = start_redis(folder)
    env = environment(database_url, broker, base, budget)
    cluster = Cluster(folder, env)
    try:
        fresh_database(env)
        campaign_id, _ = seed_funded(env, saved_cards(base, pledges))
        started = time.time()
        for i in range(workers):
            cluster.worker(f"w{i + 1}")
        cluster.beat()
        deadline = time.monotonic() + 60 + 3 * pledges / budget
        while not charged(env, campaign_id):
            if time.monotonic() > deadline:
                raise SystemExit(f"not charged in time:\n{cluster.log('w1')[-3000:]}")
            time.sleep(0.5)
        stamps = [at for at, what in sandbox_get(base, f"/_config/stamps?since={started}")
                  if what == "POST /v1/payment_intents"]
    finally:
        cluster.stop()
        for process in (sandbox, redis_process):
            process.kill()
            process.wait()
    rate = (len(stamps) - 1) / (max(stamps) - min(stamps))
    return {"workers": workers, "charges": len(stamps), "rate": rate, "ratio": rate / budget,
            "window": busiest_window(stamps) / (5 * budget)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="a PostgreSQL database of the bench's own (emptied each run)")
    parser.add_argument("--workers", type=int, action="append",
                        help="worker counts to measure (repeat); default 1, 2 and 3")
    parser.add_argument("--pledges", type=int, default=600)
    parser.add_argument("--budget", type=float, default=40.0,
                        help="the global budget, requests/s (below the sandbox's own rate)")
    args = parser.parse_args()
    print(f"budget {args.budget:g} requests/s, {args.pledges} pledges per run")
    print(f"{'workers':>7} {'charges':>8} {'rate/s':>7} {'rate/budget':>12} "
          f"{'busiest 5 s/budget':>19}")
    for workers in args.workers or [1, 2, 3]:
        with tempfile.TemporaryDirectory() as tmp:
            row = run(workers, args.pledges, args.budget, args.database_url, Path(tmp))
        print(f"{row['workers']:>7} {row['charges']:>8} {row['rate']:>7.1f} "
              f"{row['ratio']:>12.2f} {row['window']:>19.2f}", flush=True)
    print("goals: rate/budget >= 0.9; rate/budget and busiest 5 s/budget <= 1.1")


if __name__ == "__main__":
    main()
