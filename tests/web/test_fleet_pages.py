"""The background fleet where people look: the operators' settlement console says plainly
when no worker or no beat has been seen, and /readyz carries the fleet in its body
without ever taking the web server out of rotation for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fleet import ProcessHeartbeat, ProcessKind
from tests.factories import make_user


@pytest.fixture
def celery_mode(app):
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"  # only read, never reached
    yield
    app.config["CELERY_BROKER_URL"] = None


def _seen(kind: ProcessKind, name: str, ago: timedelta, doing: str = "idle") -> None:
    now = utcnow()
    db.session.add(ProcessHeartbeat(kind=kind, name=name, started_at=now - ago - ago,
                                    last_seen_at=now - ago, doing=doing))
    db.session.commit()


def test_the_console_shows_a_dead_worker_fleet_plainly(app, client, auth, session, celery_mode):
    _seen(ProcessKind.WORKER, "w1@app-1:4242", timedelta(minutes=12), "running job 9 (x)")
    _seen(ProcessKind.BEAT, "app-2:77", timedelta(seconds=4), "last sent: settle pass")
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert ("No worker has been seen for 12 minutes: nothing is being settled or emailed."
            in page)
    assert "w1@app-1:4242" in page and "not seen for 12 minutes" in page
    assert "app-2:77" in page and "last sent: settle pass" in page and "alive" in page
    assert "Beat has not been seen" not in page
    assert "Jobs: 0 waiting, 0 running" in page


def test_the_console_is_quiet_when_the_fleet_is_alive(app, client, auth, session, celery_mode):
    _seen(ProcessKind.WORKER, "w1@app-1:4242", timedelta(seconds=5))
    _seen(ProcessKind.BEAT, "app-2:77", timedelta(seconds=4))
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "w1@app-1:4242" in page and 'role="alert"' not in page
    assert "Beat has not been seen" not in page and "No worker has been seen" not in page


def test_readyz_carries_the_fleet_but_stays_ready_without_workers(client, session,
                                                                  celery_mode, app):
    app.config["CELERY_BROKER_URL"] = None  # /readyz would ping it; the fleet check reads rows
    _seen(ProcessKind.WORKER, "w1@app-1:4242", timedelta(minutes=12))
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["status"] == "ready"
    assert response.json["fleet"] == {"ok": False, "workers": 0, "beat": 0, "embedded": 0,
                                      "jobs_waiting": 0, "problems": 1}
    _seen(ProcessKind.EMBEDDED, "app-1:99", timedelta(seconds=2))
    assert client.get("/readyz").json["fleet"]["ok"] is True
