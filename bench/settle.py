"""Settlement throughput against the local Stripe sandbox, as a ratio to the sandbox itself.

    .venv/bin/python bench/settle.py --pledges 2000 [--pledges 500 ...] [--concurrency 4]

For each size N it starts a fresh sandbox and a fresh SQLite database, seeds a funded
campaign of N pledges with saved cards (customers and cards really created in the sandbox),
then measures in the same run:

- **baseline**: N PaymentIntent creations sent straight through our Stripe adapter with the
  same concurrency and no database (the sandbox's own raw throughput), measured before and
  after settlement (the sandbox slows down as its store grows, and settlement runs in the
  middle) and averaged by duration;
- **settle**: the real ``flask settle --campaign`` command as a separate process (attempt
  rows committed before each call, outcomes after, ledger postings, emails to the outbox),
  with its peak resident memory.

It prints pledges/s for both, their ratio, and the settle process's peak memory: a ratio,
never a timing assertion. Peak memory that stays flat from one N to the next is what
"constant memory" means here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import saved_cards  # noqa: E402
from bench.common import free_port, seed_funded  # noqa: E402

SECRET = "sk_test_bench"  # noqa: S105 - the sandbox accepts any sk_test_ key


def start_sandbox(faults: bool = False) -> tuple[subprocess.Popen, str]:
    """The sandbox on a free port (``faults``: with its /_config routes, the request log)."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "crowdfund.payments.sandbox", "--port", str(port),
         *(["--faults"] if faults else [])],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1):  # noqa: S310
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the sandbox did not start")


def environment(db_url: str, base: str, concurrency: int) -> dict[str, str]:
    return {**os.environ, "CROWDFUND_ENV": "development", "DATABASE_URL": db_url,
            "SECRET_KEY": "bench-only", "STRIPE_SECRET_KEY": SECRET,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_bench", "STRIPE_API_BASE": base,
            "SETTLE_REQUESTS_PER_SECOND": "100000", "SETTLE_CONCURRENCY": str(concurrency),
            "SETTLE_BATCH": "200"}


def seed(env: dict[str, str], cards: list[tuple[str, str]]) -> str:
    """A live campaign past its deadline with one active pledge per saved card."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],  # noqa: S603
                   cwd=ROOT, env=env, capture_output=True, check=True)
    return seed_funded(env, cards)[1]


def baseline(base: str, cards: list[tuple[str, str]], concurrency: int, tag: str) -> float:
    """N PaymentIntents straight through the Stripe adapter: requests/s of the sandbox."""
    from crowdfund.money import Money
    from crowdfund.payments.stripe_gateway import StripeGateway

    gateway = StripeGateway(secret_key=SECRET, publishable_key="pk_test_bench",
                            webhook_secret=None, api_base=base, max_network_retries=0)

    def charge(i: int) -> None:
        customer, method = cards[i]
        gateway.charge_off_session(amount=Money(1000, "USD"), customer_id=customer,
                                   payment_method_id=method, metadata={"bench": tag},
                                   idempotency_key=f"bench-{tag}-{i}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(charge, range(len(cards))))
    return len(cards) / (time.perf_counter() - started)


def settle(env: dict[str, str], slug: str) -> tuple[float, float, str]:
    """``flask settle --campaign`` as its own process: seconds, peak RSS (MiB), its output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "flask", "--app", "wsgi", "settle", "--campaign", slug],
            cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own resource usage
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"flask settle failed:\n{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().strip()  # ru_maxrss: KiB


def run(n: int, concurrency: int) -> dict:
    proc, base = start_sandbox()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = environment(f"sqlite:///{tmp}/bench.sqlite3", base, concurrency)
            cards = saved_cards(base, n)
            slug = seed(env, cards)
            raw_before = baseline(base, cards, concurrency, "before")
            seconds, peak_mib, output = settle(env, slug)
            raw_after = baseline(base, cards, concurrency, "after")
    finally:
        proc.kill()
        proc.wait()
    # The sandbox slows down as its store grows (each run adds N PaymentIntents), and
    # settlement runs between the two baselines: its rate is compared with the baseline's
    # mean *duration* (a mean of the two rates would favour the faster, emptier one).
    raw = 2 / (1 / raw_before + 1 / raw_after)
    rate = n / seconds
    return {"pledges": n, "settle_per_s": rate, "raw_per_s": raw, "ratio": rate / raw,
            "peak_mib": peak_mib, "output": output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pledges", type=int, action="append",
                        help="pledges in the funded campaign (repeat for several sizes); "
                             "default 2000")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="parallel gateway calls, for settle and the baseline alike")
    args = parser.parse_args()
    sizes = args.pledges or [2000]
    print(f"{'pledges':>8} {'settle/s':>9} {'sandbox/s':>10} {'ratio':>6} {'peak MiB':>9}")
    for n in sizes:
        row = run(n, args.concurrency)
        print(f"{row['pledges']:>8} {row['settle_per_s']:>9.1f} {row['raw_per_s']:>10.1f} "
              f"{row['ratio']:>6.2f} {row['peak_mib']:>9.1f}   ({row['output']})", flush=True)


if __name__ == "__main__":
    main()
