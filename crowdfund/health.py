"""``/healthz``: the process answers (no database call). ``/readyz``: the database, and the
broker where one is configured, answer within ``READY_TIMEOUT_SECONDS``; 503 otherwise
(load balancers take the server out of rotation; compose health checks wait for it).

``/readyz`` is this web server's readiness only. Its body also carries the background
fleet's state (``fleet``: workers and beat alive, jobs waiting, problems: crowdfund/fleet.py)
for whoever reads it, but dead workers never make it 503: taking every web server out of
rotation would not bring a worker back, and pages work without them. A monitor of the
fleet runs ``flask jobs status`` (non-zero when it is down)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as CheckTimedOut

import redis
import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify

from crowdfund import fleet
from crowdfund.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger("crowdfund.health")
# Checks run here so that a database that does not answer costs a timeout, not a worker
# stuck until the operating system gives up on the connection.
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    app = current_app._get_current_object()
    timeout = app.config["READY_TIMEOUT_SECONDS"]
    checks = {"database": lambda: _database(app)}
    if app.config.get("CELERY_BROKER_URL"):
        checks["broker"] = lambda: _broker(app.config["CELERY_BROKER_URL"], timeout)
    results = {}
    for name, check in checks.items():
        try:
            _checks.submit(check).result(timeout=timeout)
            results[name] = "ok"
        except CheckTimedOut:
            results[name] = f"no answer within {timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure means "not ready"
            results[name] = type(error).__name__
    ready = all(value == "ok" for value in results.values())
    if not ready:
        log.warning("not ready: %s", results)
    body = {"status": "ready" if ready else "not ready", "checks": results}
    if results["database"] == "ok":
        body["fleet"] = _fleet(app, timeout)
    return jsonify(body), 200 if ready else 503


def _fleet(app: Flask, timeout: float) -> dict | str:
    """The background fleet, for information (never decides readiness)."""
    def read() -> dict:
        with app.app_context():
            try:
                found = fleet.status()
                return {"ok": found.ok, **found.summary()}
            finally:
                db.session.rollback()
    try:
        return _checks.submit(read).result(timeout=timeout)
    except CheckTimedOut:
        return f"no answer within {timeout:g} s"
    except Exception as error:  # noqa: BLE001 - information only: say what went wrong
        return type(error).__name__


def _database(app: Flask) -> None:
    with app.app_context():
        try:
            db.session.execute(sa.text("SELECT 1")).scalar_one()
        finally:
            db.session.rollback()


def _broker(url: str, timeout: float) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
