"""The anonymous campaign page under a spike, through gunicorn, against a bare page.

    .venv/bin/python bench/spike.py [--connections 16] [--seconds 5] [--rounds 4]
                                    [--max-requests 1000] [--pledges 2000]
                                    [--database-url postgresql://...]

Two servers on 127.0.0.1, both started with the project's own ``gunicorn.conf.py`` (the
production worker model: sync workers, 2 x cores + 1), on the same database:

- **ours**: the app as production runs it, anonymous campaign page kept 5 s
  (``PAGE_CACHE_SECONDS``) in a Redis shared by every worker when Debian's
  ``redis-server`` is there (one is started for the run; otherwise each worker keeps its
  own, as ``make run`` does);
- **bare**: Flask + Flask-SQLAlchemy, one SELECT of the campaign and a template of as many
  bytes as our page.

Both replace each worker after ``--max-requests`` requests plus up to a fifth more
(``GUNICORN_MAX_REQUESTS`` / ``_JITTER``: lower than production's 100,000 so that workers
are replaced during the run, which is what the goal includes; the count is printed).

The load is **wrk-like**: one separate process, ``--connections`` asyncio connections each
sending GET after GET for ``--seconds`` (HTTP/1.1, a new connection per request: sync
workers close it), reading each whole answer and recording its status and latency. It
parses nothing else, so it costs far less CPU per request than either server; on this
2-core machine it still shares the cores with the server, the same way for both targets
in the same rounds (on a bigger machine, pin it elsewhere: ``taskset -c N``). Rounds are
interleaved (bare, ours, bare, ours...). Printed per target: requests/s, p50 and p99 (the
median over rounds), non-200 answers, workers replaced; then ours' p99 / bare's p99
(issue 30's goal: <= 3). Ratios of the same run, never a timing assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, fresh_schema  # noqa: E402 - after the path is set
from bench.pages import seed  # noqa: E402


def create_page_bare():
    """gunicorn's entry point for the bare page (``bench.spike:create_page_bare()``)."""
    from bench.pages import bare_app

    config = json.loads(os.environ["BENCH_APP_CONFIG"])
    return bare_app(config["SQLALCHEMY_DATABASE_URI"], config["BENCH_PAGE_BYTES"])


# -- the load: one process, asyncio connections ----------------------------------------


async def _get(port: int, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "User-Agent: crowdfund-bench/1\r\n\r\n".encode())
        await writer.drain()
        answer = await reader.read()
        writer.close()
        status = int(answer[9:12]) if answer[:5] == b"HTTP/" else 0
    except (OSError, ValueError):
        status = 0
    return status, time.perf_counter() - started


async def _spike(port: int, path: str, connections: int, seconds: float) -> list:
    results: list[tuple[int, float]] = []
    ends = time.monotonic() + seconds

    async def connection() -> None:
        while time.monotonic() < ends:
            results.append(await _get(port, path))

    await asyncio.gather(*(connection() for _ in range(connections)))
    return results


def _load(args: tuple) -> list[tuple[int, float]]:
    return asyncio.run(_spike(*args))


# -- the servers -----------------------------------------------------------------------


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py target`` on a free port, its log in ``folder``."""

    def __init__(self, name: str, target: str, config: dict, folder: Path,
                 max_requests: int) -> None:
        self.port = free_port()
        self.log = folder / f"{name}.log"
        env = {**os.environ, "BENCH_APP_CONFIG": json.dumps(config),
               "GUNICORN_BIND": f"127.0.0.1:{self.port}",
               "GUNICORN_MAX_REQUESTS": str(max_requests),
               "GUNICORN_MAX_REQUESTS_JITTER": str(max_requests // 5),
               "PYTHONPATH": str(ROOT)}
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - gunicorn from our virtualenv
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                 "--access-logfile", "/dev/null", target],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if asyncio.run(_get(self.port, "/healthz"))[0]:
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn {target} did not start: see {self.log}")

    def restarts(self) -> int:
        return self.log.read_text(errors="replace").count("Autorestarting worker")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _redis(folder: Path) -> tuple[subprocess.Popen | None, str | None]:
    server = shutil.which("redis-server")
    if server is None:
        return None, None
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - Debian's redis-server
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=1000)
    parser.add_argument("--pledges", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from crowdfund import create_app
    from crowdfund.config import normalise_database_url

    folder = Path(tempfile.mkdtemp(prefix="crowdfund-bench-"))
    url = normalise_database_url(args.database_url) if args.database_url else \
        f"sqlite:///{folder}/bench.sqlite3"
    config = {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
              "UPLOAD_FOLDER": str(folder), "PAGE_CACHE_SECONDS": 5,
              "SQLITE_STRICT_READS": False}
    app = create_app(config)
    fresh_schema(app)
    world = seed(app, args.pledges)
    path = f"/campaigns/{world['slug']}"
    size = len(app.test_client().get(path).data)
    redis, redis_url = _redis(folder)
    if redis_url:
        config["PAGE_CACHE_REDIS_URL"] = redis_url
    servers = {
        "bare page (1 SELECT + template)": Gunicorn(
            "bare", "bench.spike:create_page_bare()",
            {**config, "BENCH_PAGE_BYTES": size}, folder, args.max_requests),
        "campaign page, anonymous": Gunicorn(
            "ours", "bench.pledge:create_ours()", config, folder, args.max_requests),
    }
    figures: dict[str, list[tuple[float, float, float, int]]] = {n: [] for n in servers}
    context = multiprocessing.get_context("spawn")
    try:
        with context.Pool(1) as pool:
            for _round in range(args.rounds):
                for name, server in servers.items():
                    results = pool.apply(_load, ((server.port, path, args.connections,
                                                  args.seconds),))
                    took = [t for status, t in results if status == 200]
                    figures[name].append((len(took) / args.seconds, _p(took, 0.5),
                                          _p(took, 0.99), len(results) - len(took)))
    finally:
        restarts = {name: server.restarts() for name, server in servers.items()}
        for server in servers.values():
            server.stop()
        if redis is not None:
            redis.terminate()
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"spike on {engine}: {args.connections} connections x {args.seconds:g} s, "
          f"{args.rounds} rounds, gunicorn.conf.py workers, replaced after "
          f"{args.max_requests} + up to {args.max_requests // 5} requests; page cache "
          f"{'shared in Redis' if redis_url else 'per process (no redis-server)'}; "
          f"{args.pledges} pledges, {size} bytes")
    print(f"{'target':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8} "
          f"{'replaced':>9}")
    p99s = {}
    for name, rows in figures.items():
        rate = statistics.median(r[0] for r in rows)
        p50 = statistics.median(r[1] for r in rows) * 1000
        p99s[name] = statistics.median(r[2] for r in rows) * 1000
        print(f"{name:34} {rate:8.0f} {p50:8.1f} {p99s[name]:8.1f} "
              f"{sum(r[3] for r in rows):8d} {restarts[name]:9d}")
    ours, bare = p99s["campaign page, anonymous"], p99s["bare page (1 SELECT + template)"]
    print(f"p99 ours / bare: {ours / bare:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
