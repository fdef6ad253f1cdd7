"""The production install, as the README gives it: a clean virtual environment, `pip install .`
of this checkout *without* the dev or sandbox extras, then every production process from
that environment: migrations and `flask jobs status` (the flask command), a Celery worker
and beat on a real Redis until the worker has taken beat's jobs and both heartbeats are
in the database, and gunicorn answering /readyz.

It is the test that a dependency imported at run time is declared: the development
install has every test tool besides (pytest brought `packaging`, which kombu's Redis
transport imports, so workers died at start in production and nowhere else). And that the
local Stripe sandbox (localstripe, aiohttp) stays out of production: not installed, and no
module of the app's import path needs it.

About a minute: the install reuses pip's cache and the index `make` uses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.factories import free_port

# Its own SQLite database and processes: the same on both passes, so it runs on one.
pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parents[1]
#: What is deployed (README "Deploying": the source tree, templates/ and the rest at the top).
SHIPPED = ("pyproject.toml", "wsgi.py", "gunicorn.conf.py", "crowdfund", "templates", "static",
           "migrations")
#: The sandbox's server modules: they import aiohttp and localstripe, and only `make run`
#: and the test suite start them (the `sandbox` extra).
SANDBOX_SERVER = ("crowdfund.payments.sandbox", "crowdfund.payments.sandbox_disk",
                  "crowdfund.payments.sandbox_cards",
                  "crowdfund.payments.sandbox_lists")
WAIT = 120  # seconds, at most, for each thing we wait for

IMPORT_EVERYTHING = f"""
import importlib, importlib.util, pkgutil, sys
missing = [name for name in ("localstripe", "aiohttp") if importlib.util.find_spec(name)]
assert not missing, f"installed in production: {{missing}}"
import crowdfund
crowdfund.create_app()
import crowdfund.worker
names = [m.name for m in pkgutil.walk_packages(crowdfund.__path__, "crowdfund.")
         if m.name not in {SANDBOX_SERVER!r}]
for name in names:
    importlib.import_module(name)
print(len(names), "modules imported")
"""


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A clean virtual environment holding `pip install .` of a copy of this checkout."""
    base = tmp_path_factory.mktemp("production")
    source = base / "src"
    source.mkdir()
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")],  # noqa: S603
                   check=True, timeout=120)
    installed = subprocess.run(  # noqa: S603 - pip, as the README's production install
        [str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-4000:]
    return base


def _environment(base: Path, broker: str, port: int) -> dict[str, str]:
    """Production settings, nothing inherited from the test run's environment."""
    return {
        "PATH": f"{base / 'venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(base), "LANG": "C.UTF-8",
        "CROWDFUND_ENV": "production", "SECRET_KEY": "production-install-test-secret",
        "DATABASE_URL": f"sqlite:///{base / 'production.sqlite3'}",
        "INSTANCE_PATH": str(base / "instance"), "CELERY_BROKER_URL": broker,
        "STRIPE_SECRET_KEY": "sk_test_production_install",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_production_install",
        "STRIPE_WEBHOOK_SECRET": "whsec_production_install",
        # Quick passes and heartbeats, so that the fleet shows itself within seconds.
        "SETTLE_INTERVAL_SECONDS": "1", "JOBS_INTERVAL_SECONDS": "1",
        "OUTBOX_INTERVAL_SECONDS": "2", "JOB_SWEEP_SECONDS": "5",
        "PROCESS_HEARTBEAT_SECONDS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1",
    }


def _run(base: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the venv's own commands
        [str(base / "venv" / "bin" / command[0]), *command[1:]], cwd=base / "src", env=env,
        capture_output=True, text=True, timeout=WAIT)


class Processes:
    """Long-running processes of the venv, each in its own process group, logged to files."""

    def __init__(self, base: Path, env: dict[str, str]) -> None:
        self.base, self.env = base, env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *command: str) -> None:
        log = (self.base / f"{name}.log").open("w")
        self.running[name] = subprocess.Popen(  # noqa: S603 - the venv's own commands
            [str(self.base / "venv" / "bin" / command[0]), *command[1:]],
            cwd=self.base / "src", env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def log(self, name: str) -> str:
        return (self.base / f"{name}.log").read_text(errors="replace")[-3000:]

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.running)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL for whatever is left after 20 s."""
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.running.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _rows(base: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(base / "production.sqlite3", timeout=10)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def _wait_for(what: str, check, processes: Processes) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        for name, process in processes.running.items():
            assert process.poll() is None, f"{name} exited:\n{processes.log(name)}"
        assert time.monotonic() < deadline, f"no {what} within {WAIT} s\n{processes.logs()}"
        time.sleep(0.25)


def _ready(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return json.loads(answer.read())
    except OSError:
        return None


def test_the_production_install_runs_every_process_without_the_dev_extras(venv, redis_url):
    broker = redis_url.rsplit("/", 1)[0] + "/7"
    redis.Redis.from_url(broker).flushdb()
    port = free_port()
    env = _environment(venv, broker, port)

    broken = _run(venv, env, "python", "-m", "pip", "check")
    assert broken.returncode == 0, broken.stdout + broken.stderr
    imported = _run(venv, env, "python", "-c", IMPORT_EVERYTHING)
    assert imported.returncode == 0, imported.stderr[-4000:]
    migrated = _run(venv, env, "flask", "--app", "wsgi", "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr[-4000:]
    before = _run(venv, env, "flask", "--app", "wsgi", "jobs", "status")
    assert before.returncode == 1, before.stdout + before.stderr
    assert "No worker has been seen: nothing is being settled or emailed." in before.stderr

    processes = Processes(venv, env)
    try:
        processes.start("worker", "celery", "-A", "crowdfund.worker:celery", "worker",
                        "-n", "w1@%h", "-Q", "crowdfund", "-l", "INFO", "--concurrency", "1",
                        "--without-gossip", "--without-mingle")
        processes.start("beat", "celery", "-A", "crowdfund.worker:celery", "beat", "-l", "INFO",
                        "-s", str(venv / "celerybeat-schedule"))
        processes.start("web", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app")

        # Beat's tick became a job, and the worker took it and finished it.
        _wait_for("periodic job done by the worker", lambda: _rows(venv, (
            "SELECT id FROM jobs WHERE kind = 'jobs pass' AND status = 'done' "
            "AND claimed_by LIKE 'w1@%'")), processes)
        _wait_for("heartbeat of the worker and of beat", lambda: {kind for kind, in _rows(
            venv, "SELECT kind FROM process_heartbeats")} == {"worker", "beat"}, processes)
        (worker,) = _rows(venv, "SELECT name FROM process_heartbeats WHERE kind = 'worker'")
        assert worker[0].startswith("w1@") and worker[0].rsplit(":", 1)[1].isdigit()

        _wait_for("/readyz", lambda: _ready(port) is not None, processes)
        ready = _ready(port)
        assert ready["status"] == "ready" and ready["checks"] == {"database": "ok",
                                                                 "broker": "ok"}
        assert ready["fleet"]["workers"] == 1 and ready["fleet"]["beat"] == 1, ready

        after = _run(venv, env, "flask", "--app", "wsgi", "jobs", "status")
        assert after.returncode == 0, after.stdout + after.stderr
        assert worker[0] in after.stdout and after.stdout.rstrip().endswith("OK")
    finally:
        processes.stop()
    # Stopped cleanly: each said so in its row (not left to go stale).
    stopped = _rows(venv, "SELECT kind, stopped_at IS NOT NULL FROM process_heartbeats")
    assert sorted(stopped) == [("beat", 1), ("worker", 1)], processes.logs()
