"""The background fleet's heartbeats (crowdfund/fleet.py) and ``flask jobs status``: each
worker, beat and the embedded runner says it is alive in its own row; a stale fleet or a
job waiting too long makes the check exit 1 with a sentence an operator understands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from crowdfund import create_app, fleet, jobs, queue, tasks
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fleet import ProcessHeartbeat, ProcessKind
from crowdfund.queue import Job, JobStatus

W, B, E = ProcessKind.WORKER, ProcessKind.BEAT, ProcessKind.EMBEDDED


@pytest.fixture
def celery_mode(app):
    """A broker is configured (nothing here talks to it: the hints stay the test's)."""
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    yield
    app.config["CELERY_BROKER_URL"] = None


def _seen(kind: ProcessKind, name: str, ago: timedelta, doing: str = "idle") -> None:
    now = utcnow()
    db.session.add(ProcessHeartbeat(kind=kind, name=name, started_at=now - ago - ago,
                                    last_seen_at=now - ago, doing=doing))
    db.session.commit()


def _rows() -> dict[tuple[ProcessKind, str], ProcessHeartbeat]:
    db.session.expire_all()
    rows = {(p.kind, p.name): p for p in db.session.scalars(sa.select(ProcessHeartbeat))}
    db.session.commit()
    return rows


def _status(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_a_heartbeat_is_one_row_per_process_updated_in_place(app, session):
    assert fleet.record(app, W, "w1@host:10", "idle", now=utcnow() - timedelta(minutes=5))
    assert fleet.record(app, W, "w1@host:10", lambda connection: "busy")
    assert fleet.record(app, B, "host:11", "last sent: settle pass")
    rows = _rows()
    assert set(rows) == {(W, "w1@host:10"), (B, "host:11")}
    worker = rows[W, "w1@host:10"]
    assert worker.doing == "busy" and utcnow() - worker.last_seen_at < timedelta(seconds=5)
    assert worker.last_seen_at - worker.started_at > timedelta(minutes=4)  # kept its start
    fleet.stopped(app, W, "w1@host:10")
    assert _rows()[W, "w1@host:10"].stopped_at is not None
    assert fleet.record(app, W, "w1@host:10", "idle")  # started again under the same name
    assert _rows()[W, "w1@host:10"].stopped_at is None


def test_a_heartbeat_that_cannot_be_written_never_raises(app, session, tmp_path, caplog):
    broken = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI":
                         f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}"})
    assert fleet.record(broken, W, "w1@host:10", "idle") is False
    assert "heartbeat not recorded" in caplog.text


def test_a_worker_heartbeat_says_which_jobs_its_pool_runs_and_when_it_stopped(app, session):
    queue.register("probe", lambda: None)
    try:
        mine, theirs = queue.enqueue("probe"), queue.enqueue("probe")
        db.session.commit()
        assert queue.claim(mine.id, "w1@host:4242")  # a pool process of w1
        assert queue.claim(theirs.id, "w10@host:77")  # another worker whose name begins alike
        mine_id = mine.id
        app.config["PROCESS_HEARTBEAT_SECONDS"] = 0.05
        beating = fleet.Heartbeat(app, W, "w1@host:4000", fleet.running_jobs("w1@host:"))
        beating.start()
        deadline = time.monotonic() + 10
        while (W, "w1@host:4000") not in _rows() and time.monotonic() < deadline:
            time.sleep(0.02)
        first = _rows()[W, "w1@host:4000"].last_seen_at
        assert _rows()[W, "w1@host:4000"].doing == f"running job {mine_id} (probe)"
        while _rows()[W, "w1@host:4000"].last_seen_at == first and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _rows()[W, "w1@host:4000"].last_seen_at > first  # it keeps beating
        beating.stop()
        beating.join(5)
        assert not beating.is_alive()
        row = _rows()[W, "w1@host:4000"]
        assert row.stopped_at is not None and row.doing == "stopped"
    finally:
        app.config["PROCESS_HEARTBEAT_SECONDS"] = 15
        queue._kinds.pop("probe", None)


def test_beat_writes_its_heartbeat_from_its_own_loop(app, session, tmp_path, monkeypatch):
    monkeypatch.setitem(tasks._app, "app", app)
    scheduler = tasks.BeatScheduler(app=tasks.celery, schedule_filename=str(tmp_path / "beat"),
                                    lazy=True)
    scheduler.setup_schedule()
    scheduler.tick()
    rows = [row for (kind, _), row in _rows().items() if kind is B]
    assert len(rows) == 1 and rows[0].doing == "started" and rows[0].stopped_at is None
    scheduler.tick()  # within the interval: no second write
    assert _rows()[B, rows[0].name].last_seen_at == rows[0].last_seen_at
    scheduler.close()
    assert _rows()[B, rows[0].name].stopped_at is not None


def test_status_is_ok_with_a_fresh_worker_and_beat(app, session, celery_mode):
    _seen(W, "w1@host:10", timedelta(seconds=3), "running job 7 (charge batch)")
    _seen(B, "host:11", timedelta(seconds=5), "last sent: settle pass")
    code, output = _status(app)
    assert code == 0, output
    assert "w1@host:10" in output and "seen 3 seconds ago" in output
    assert "running job 7 (charge batch)" in output and "last sent: settle pass" in output
    assert "jobs: 0 waiting, 0 running" in output and output.rstrip().endswith("OK")


def test_status_fails_when_every_worker_is_stale(app, session, celery_mode):
    _seen(W, "w1@host:10", timedelta(minutes=12))
    _seen(W, "w2@host:12", timedelta(minutes=14))
    _seen(B, "host:11", timedelta(seconds=5))
    code, output = _status(app)
    assert code == 1
    assert "NOT SEEN for 12 minutes" in output
    assert ("PROBLEM: No worker has been seen for 12 minutes: nothing is being settled or "
            "emailed.") in output
    _seen(W, "w3@host:13", timedelta(seconds=1))  # one alive is enough
    assert _status(app)[0] == 0


def test_status_fails_without_beat_and_says_what_that_stops(app, session, celery_mode):
    _seen(W, "w1@host:10", timedelta(seconds=2))
    code, output = _status(app)
    assert code == 1
    assert ("PROBLEM: Beat has not been seen: no settle pass, jobs pass or email round is "
            "being queued.") in output
    _seen(B, "host:11", timedelta(minutes=3))
    assert "Beat has not been seen for 3 minutes" in _status(app)[1]


def test_a_cleanly_stopped_worker_is_not_alive(app, session, celery_mode):
    _seen(W, "w1@host:10", timedelta(seconds=2))
    _seen(B, "host:11", timedelta(seconds=2))
    fleet.stopped(app, W, "w1@host:10")
    code, output = _status(app)
    assert code == 1 and "stopped" in output
    assert "No worker has been seen since the last one stopped" in output


def test_status_fails_when_a_job_waits_too_long(app, session, celery_mode):
    _seen(W, "w1@host:10", timedelta(seconds=2))
    _seen(B, "host:11", timedelta(seconds=2))
    queue.register("probe", lambda: None)
    try:
        old = queue.enqueue("probe")
        queue.enqueue("probe")
        db.session.commit()
        db.session.execute(sa.update(Job).where(Job.id == old.id).values(
            created_at=utcnow() - timedelta(minutes=20)))
        db.session.commit()
        code, output = _status(app)
    finally:
        queue._kinds.pop("probe", None)
    assert code == 1
    assert "jobs: 2 waiting (the oldest for 20 minutes)" in output
    assert "PROBLEM: 2 jobs waiting; the oldest for 20 minutes (more than 10 minutes)" in output


def test_a_long_queue_that_workers_are_taking_is_not_a_problem(app, session, celery_mode):
    """A deadline's hundreds of charge batches wait longer than the alert while workers
    take them one after the other: only waiting with nothing started is a problem."""
    _seen(W, "w1@host:10", timedelta(seconds=2))
    _seen(B, "host:11", timedelta(seconds=2))
    queue.register("probe", lambda: None)
    try:
        old, taken = queue.enqueue("probe"), queue.enqueue("probe")
        db.session.commit()
        db.session.execute(sa.update(Job).where(Job.id == old.id).values(
            created_at=utcnow() - timedelta(minutes=20)))
        db.session.execute(sa.update(Job).where(Job.id == taken.id).values(
            status=JobStatus.DONE, started_at=utcnow() - timedelta(minutes=1),
            finished_at=utcnow()))
        db.session.commit()
        code, output = _status(app)
    finally:
        queue._kinds.pop("probe", None)
    assert code == 0, output
    assert "jobs: 1 waiting (the oldest for 20 minutes)" in output
    assert "PROBLEM" not in output


def test_job_counts_say_where_each_unfinished_job_stands(app, session):
    queue.register("probe", lambda: None)
    try:
        made = [queue.enqueue("probe") for _ in range(5)]
        db.session.commit()
        ids = [job.id for job in made]
        now = utcnow()
        for job_id, values in zip(ids[1:], (
                {"status": JobStatus.QUEUED, "not_before": now + timedelta(minutes=1)},
                {"status": JobStatus.RUNNING, "lease_until": now + timedelta(minutes=1)},
                {"status": JobStatus.RUNNING, "lease_until": now - timedelta(minutes=1)},
                {"status": JobStatus.FAILED, "finished_at": now}), strict=True):
            db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
        db.session.commit()
        counts = fleet.status().jobs
    finally:
        queue._kinds.pop("probe", None)
    assert (counts.waiting, counts.retrying, counts.running, counts.stuck, counts.failed) == \
        (1, 1, 1, 1, 1)


def test_embedded_mode_checks_the_embedded_runner_instead(app, session):
    code, output = _status(app)
    assert code == 1 and "the embedded runner (no CELERY_BROKER_URL)" in output
    assert ("The jobs runner (flask jobs run --watch) has not been seen: nothing is being "
            "settled or emailed.") in output
    _seen(W, "w1@host:10", timedelta(seconds=1))  # workers do not count without a broker
    assert _status(app)[0] == 1
    _seen(E, "host:20", timedelta(seconds=2))
    code, output = _status(app)
    assert code == 0 and "host:20" in output, output


def test_the_embedded_runner_records_its_heartbeat_while_it_watches(app, session, monkeypatch):
    seen_while_running = []

    def one_pass(tick, interval, what):
        tick()
        seen_while_running.extend((p.kind, p.stopped_at) for p in _rows().values())

    monkeypatch.setattr(jobs, "watch_loop", one_pass)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--watch"])
    assert result.exit_code == 0, result.output
    assert seen_while_running == [(E, None)]
    (row,) = _rows().values()
    assert row.kind is E and row.stopped_at is not None


def test_the_embedded_runner_says_it_stopped_when_its_supervisor_stops_it(app, session):
    """make run's Ctrl-C (and systemd) send SIGTERM: the runner's row says stopped."""
    env = {**os.environ, "CROWDFUND_ENV": "testing", "PROCESS_HEARTBEAT_SECONDS": "0.2",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    env.pop("CELERY_BROKER_URL", None)
    runner = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run", "--watch"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not _rows() and time.monotonic() < deadline and runner.poll() is None:
            time.sleep(0.1)
        assert [p.kind for p in _rows().values()] == [E], runner.stderr.read()[-2000:]
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(30) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    (row,) = _rows().values()
    assert row.stopped_at is not None and row.name.endswith(f":{runner.pid}")


def test_old_heartbeats_are_forgotten_by_the_jobs_pass(app, session):
    _seen(W, "w1@host:10", timedelta(days=2))
    _seen(W, "w2@host:12", timedelta(hours=1))
    done = jobs.run_once()
    assert done["old heartbeats forgotten"] == 1
    assert set(_rows()) == {(W, "w2@host:12")}
