"""The pledge POST under gunicorn, against a bare INSERT+COMMIT endpoint, and the 500-way race.

    .venv/bin/python bench/pledge.py [--clients 100] [--requests 5] [--rounds 3]
                                     [--race 500] [--workers sync,gthread]
                                     [--database-url postgresql://...]

Both apps run under gunicorn on 127.0.0.1 with the same worker model and the same
database (SQLite in a temporary folder unless ``--database-url``):

- **ours**: the real pledge form POST (``/campaigns/<slug>/pledge``: signed-in backer,
  form validation, the one-open-pledge rule, the reward unit claimed, the pending pledge
  inserted, committed, redirected to the card page). CSRF is off in this run only, so
  that clients need not fetch the form first;
- **bare**: a Flask + Flask-SQLAlchemy endpoint that INSERTs one row and COMMITs.

``--clients`` threads, each with its own connection and signed-in backer, send
``--requests`` POSTs each (each to another campaign: one open pledge per backer and
campaign), in interleaved rounds (bare, ours, bare, ours...), each on a server just
started and warmed up by two POSTs per client (steady state, as a server that has been
running is). Printed: the median successful POSTs/s of each and their ratio (goal >= 0.5
at 100 clients, 0 errors).

Then the race: ``--race`` backers POST at the same instant for a reward limited to 100
units. Printed: how many won (exactly 100, on every database); the losers' p99 latency
and its ratio to one uncontended pledge's latency (goal <= 3); the p99 of the same number
of pledges sent at once to as many different rewards (nothing shared: what queueing for
the workers alone costs on this machine) and the losers' ratio to it; and the same two
ratios for the time spent in the app (``Server-Timing``), which leaves out the wait for
a free worker.

Worker models (``--workers``): ``sync`` with 2 x cores + 1 processes, ``gthread`` with 2
processes x 8 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, fresh_schema  # noqa: E402 - after the path is set

USER_AGENT = "crowdfund-bench/1"
WARM_UP = 2  # POSTs per client before each measured load
PASSWORD = "bench password"  # noqa: S105 - throwaway accounts in a throwaway database


def our_config(url: str, folder: str) -> dict:
    return {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": folder,
            "WTF_CSRF_ENABLED": False, "SQLITE_STRICT_READS": False,
            "LOGIN_MAX_FAILURES_PER_IP": 10**6}


def create_ours():
    """gunicorn's entry point for our app (``bench.pledge:create_ours()``)."""
    from crowdfund import create_app

    return create_app(json.loads(os.environ["BENCH_APP_CONFIG"]))


def create_bare():
    """A bare Flask + Flask-SQLAlchemy app: one INSERT and one COMMIT per POST."""
    import sqlalchemy as sa
    from flask import Flask, redirect, request
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = json.loads(
        os.environ["BENCH_APP_CONFIG"])["SQLALCHEMY_DATABASE_URI"]
    db = SQLAlchemy(app)

    @app.post("/pledge")
    def pledge():
        db.session.execute(sa.text(
            "INSERT INTO bare_pledges (campaign, backer, amount) VALUES (:c, :b, :a)"),
            {"c": request.form["campaign"], "b": request.form["backer"],
             "a": int(request.form["amount"])})
        db.session.commit()
        return redirect("/done")

    return app


def seed(app, campaigns: int, backers: int, warm: int = 0, crowd: int = 0) -> dict:
    """Live campaigns with one unlimited reward each (``warm`` more for warming servers
    up), a race campaign whose reward has 100 units, a campaign for uncontended pledges,
    and signed-in backers (their cookies)."""
    import sqlalchemy as sa

    from crowdfund.auth import passwords
    from crowdfund.auth.models import User
    from crowdfund.campaigns.models import Campaign, RewardTier
    from crowdfund.campaigns.states import CampaignStatus
    from crowdfund.db import utcnow
    from crowdfund.extensions import db

    now = utcnow()
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE bare_pledges (id INTEGER PRIMARY KEY, "
                                   "campaign TEXT, backer TEXT, amount INTEGER)"
                                   if db.engine.dialect.name == "sqlite" else
                                   "CREATE TABLE bare_pledges (id SERIAL PRIMARY KEY, "
                                   "campaign TEXT, backer TEXT, amount INTEGER)"))
        hashed = passwords.hash_password(PASSWORD)
        founder = User(email="founder@bench.invalid", password_hash=hashed,
                       display_name="Founder",
                       email_verified_at=utcnow())
        db.session.add(founder)
        db.session.flush()
        made = {}
        for name in ([f"c{i}" for i in range(campaigns)] + [f"w{i}" for i in range(warm)]
                     + [f"u{i}" for i in range(crowd)] + ["race", "single"]):
            campaign = Campaign(
                slug=f"bench-{name}", founder_id=founder.id, title=f"Bench {name}",
                blurb="A campaign to pledge to.", category="technology", goal_minor=10**8,
                currency="USD", status=CampaignStatus.LIVE, duration_days=30,
                launched_at=now - timedelta(days=1), deadline=now + timedelta(days=20))
            campaign.tiers.append(RewardTier(
                title="Kettle", minimum_minor=1000, position=0,
                quantity_limit=100 if name == "race" else None, description="One kettle."))
            db.session.add(campaign)
            db.session.flush()
            made[name] = (campaign.slug, campaign.tiers[0].id)
        users = [User(email=f"b{i}@bench.invalid", password_hash=hashed,
                      display_name=f"Backer {i}",
                      email_verified_at=utcnow()) for i in range(backers)]
        db.session.add_all(users)
        db.session.commit()
        emails = [u.email for u in users]
    cookies = []
    for email in emails:
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD},
                               headers={"User-Agent": USER_AGENT})
        assert response.status_code == 302, response.status_code
        cookies.append(client.get_cookie("session").value)
    return {"campaigns": made, "cookies": cookies}


class Server:
    """gunicorn serving ``target`` with a worker model, until ``stop()``."""

    def __init__(self, target: str, model: str, config: dict) -> None:
        self.port = free_port()
        cores = os.cpu_count() or 1
        workers = ["-w", str(2 * cores + 1), "-k", "sync"] if model == "sync" else \
            ["-w", "2", "-k", "gthread", "--threads", "8"]
        self.proc = subprocess.Popen(  # noqa: S603 - gunicorn from our virtualenv
            [sys.executable, "-m", "gunicorn", *workers, "--bind", f"127.0.0.1:{self.port}",
             "--backlog", "2048", "--timeout", "120", target],
            cwd=ROOT, env={**os.environ, "BENCH_APP_CONFIG": json.dumps(config),
                           "PYTHONPATH": os.environ.get("BENCH_PYTHONPATH", str(ROOT))},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn {target} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def post(session, url: str, data: dict) -> tuple[int, float, float]:
    """(status, seconds from sending to the answer, seconds in the app: Server-Timing)."""
    started = time.perf_counter()
    response = session.post(url, data=data, allow_redirects=False, timeout=120)
    took = time.perf_counter() - started
    timing = response.headers.get("Server-Timing", "")
    in_app = float(timing.split("dur=", 1)[1]) / 1000 if "dur=" in timing else float("nan")
    return response.status_code, took, in_app


def load(base: str, bare: bool, world: dict, clients: int, requests_each: int,
         first_campaign: int, prefix: str = "c") -> tuple[float, int]:
    """``clients`` threads x ``requests_each`` POSTs; (successful POSTs/s, errors)."""
    import requests

    ok = [0] * clients
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        with requests.Session() as session:
            session.headers["User-Agent"] = USER_AGENT
            session.cookies.set("session", world["cookies"][i])
            barrier.wait()
            for j in range(requests_each):
                slug, tier = world["campaigns"][f"{prefix}{first_campaign + j}"]
                if bare:
                    status, *_ = post(session, f"{base}/pledge", {
                        "campaign": slug, "backer": str(i), "amount": "1000"})
                else:
                    status, *_ = post(session, f"{base}/campaigns/{slug}/pledge", {
                        "tier": str(tier), "amount": "10.00", "destination": ""})
                if status == 302:
                    ok[i] += 1
                else:
                    errors[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return sum(ok) / (time.perf_counter() - started), sum(errors)


def at_once(base: str, world: dict, racers: int, campaign_of) -> list[tuple[int, float, float]]:
    """``racers`` backers POST at the same instant, racer ``i`` to ``campaign_of(i)``."""
    import requests

    results: list[tuple[int, float, float]] = [(0, 0.0, 0.0)] * racers
    barrier = threading.Barrier(racers)

    def racer(i: int) -> None:
        slug, tier = world["campaigns"][campaign_of(i)]
        with requests.Session() as session:
            session.headers["User-Agent"] = USER_AGENT
            session.cookies.set("session", world["cookies"][i])
            barrier.wait()
            results[i] = post(session, f"{base}/campaigns/{slug}/pledge", {
                "tier": str(tier), "amount": "10.00", "destination": ""})

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else 0.0


def race(base: str, world: dict, racers: int) -> dict:
    """One uncontended pledge (median of 20); ``racers`` pledges at once to as many
    different rewards (the same load with nothing shared: what queueing for 2 x cores + 1
    workers costs); then ``racers`` at once for one reward of 100 units."""
    import requests

    slug, tier = world["campaigns"]["single"]
    single = []
    for i in range(20):
        with requests.Session() as session:
            session.headers["User-Agent"] = USER_AGENT
            session.cookies.set("session", world["cookies"][i])
            status, seconds, in_app = post(session, f"{base}/campaigns/{slug}/pledge", {
                "tier": str(tier), "amount": "10.00", "destination": ""})
            assert status == 302, status
            single.append((seconds, in_app))
    crowd = at_once(base, world, racers, lambda i: f"u{i}")
    results = at_once(base, world, racers, lambda i: "race")
    losers = [r for r in results if r[0] != 302]
    return {
        "won": sum(1 for r in results if r[0] == 302),
        "single": statistics.median(s for s, _ in single),
        "single_app": statistics.median(a for _, a in single),
        "crowd_p99": p99([r[1] for r in crowd]),
        "crowd_app_p99": p99([r[2] for r in crowd]),
        "losers_p99": p99([r[1] for r in losers]),
        "losers_app_p99": p99([r[2] for r in losers]),
        "unexpected": sorted({r[0] for r in results + crowd if r[0] not in (302, 409)}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=5, help="POSTs per client per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--race", type=int, default=500)
    parser.add_argument("--workers", default="sync,gthread")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from crowdfund import create_app
    from crowdfund.config import normalise_database_url

    models = args.workers.split(",")
    folder = tempfile.mkdtemp(prefix="crowdfund-bench-")
    url = (normalise_database_url(args.database_url) if args.database_url
           else f"sqlite:///{folder}/bench.sqlite3")
    config = our_config(url, folder)
    app = create_app(config)
    fresh_schema(app)
    per_model = args.rounds * args.requests
    world = seed(app, per_model * len(models) + 1, max(args.clients, args.race, 20),
                 warm=WARM_UP * args.rounds * len(models), crowd=args.race)
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"pledge POST on {engine} under gunicorn, {args.clients} clients x "
          f"{args.requests} POSTs, {args.rounds} rounds; race of {args.race} for 100 units; "
          f"{os.cpu_count()} cores")
    for m, model in enumerate(models):
        rates = {"bare": [], "ours": []}
        errors = {"bare": 0, "ours": 0}
        for r in range(args.rounds):
            for name in ("bare", "ours"):
                server = Server("bench.pledge:create_bare()" if name == "bare"
                                else "bench.pledge:create_ours()", model, config)
                base = f"http://127.0.0.1:{server.port}"
                try:
                    # Warm every worker up first (imports, compiled statements, locale
                    # data), as a server that has been running is: steady state is measured.
                    load(base, name == "bare", world, args.clients, WARM_UP,
                         (m * args.rounds + r) * WARM_UP, prefix="w")
                    rate, failed = load(base, name == "bare",
                                        world, args.clients, args.requests,
                                        m * per_model + r * args.requests)
                finally:
                    server.stop()
                rates[name].append(rate)
                errors[name] += failed
        bare, ours = statistics.median(rates["bare"]), statistics.median(rates["ours"])
        print(f"{model:>8}: bare {bare:7.1f} POSTs/s, ours {ours:7.1f} POSTs/s, ratio "
              f"{ours / bare:.2f} (goal >= 0.5); errors: bare {errors['bare']}, "
              f"ours {errors['ours']} (goal 0)", flush=True)
    server = Server("bench.pledge:create_ours()", models[0], config)
    try:
        result = race(f"http://127.0.0.1:{server.port}", world, args.race)
    finally:
        server.stop()
    print(f"race ({models[0]}): {result['won']} of {args.race} won the 100 units (goal "
          f"exactly 100)" + (f"; unexpected statuses {result['unexpected']}"
                             if result["unexpected"] else ""))
    print(f"  losers' p99 {result['losers_p99'] * 1000:.0f} ms = "
          f"{result['losers_p99'] / result['single']:.1f} x one uncontended pledge "
          f"({result['single'] * 1000:.0f} ms) (goal <= 3)")
    print(f"  the same {args.race} at once on {args.race} different rewards (no contention, "
          f"queueing for the workers only): p99 {result['crowd_p99'] * 1000:.0f} ms; "
          f"losers' p99 = {result['losers_p99'] / result['crowd_p99']:.2f} x that")
    print(f"  in the app (Server-Timing: without queueing for a worker): losers' p99 "
          f"{result['losers_app_p99'] * 1000:.1f} ms = "
          f"{result['losers_app_p99'] / result['single_app']:.1f} x one uncontended pledge "
          f"({result['single_app'] * 1000:.1f} ms), "
          f"{result['losers_app_p99'] / result['crowd_app_p99']:.2f} x the p99 of the same load "
          f"without contention ({result['crowd_app_p99'] * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
