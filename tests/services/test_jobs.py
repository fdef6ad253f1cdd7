"""Background work as rows (crowdfund/queue.py): claimed once, retried with backoff,
shown to operators when it keeps failing, the same jobs whichever runner runs them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund import hints as hints_module
from crowdfund import jobs, queue
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus as S
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger.services import check as check_ledger
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.models import PledgeStatus as P
from crowdfund.queue import Job, JobStatus
from tests.factories import back_pledge, ended, make_campaign, make_user


class Recorded:
    """Hints as a broker would get them."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, float]] = []
        self.in_broker = 0

    def send(self, job_id: int, countdown: float = 0) -> None:
        self.sent.append((job_id, countdown))

    def waiting(self) -> int:
        return self.in_broker


@pytest.fixture
def hints(app):
    recorded = Recorded()
    hints_module.use_hints(app, recorded)
    yield recorded
    app.extensions.pop("crowdfund.hints", None)


@pytest.fixture
def kinds():
    """A job kind whose behaviour the test sets (``calls`` records its runs)."""
    calls: list[tuple] = []
    behaviour = {"raise": None}

    def probe(*args):
        calls.append(args)
        if behaviour["raise"]:
            raise behaviour["raise"]
        return f"probed {args}"

    queue.register("probe", probe, max_attempts=3)
    yield calls, behaviour
    queue._kinds.pop("probe", None)


def _due_now(job_id: int) -> None:
    """Time travel: the job's backoff is over."""
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(
        not_before=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def _read(job_id: int) -> Job:
    """The job as it stands, detached, with this test's transaction ended (on SQLite an
    open one holds the write lock the runner needs)."""
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    db.session.expunge(job)
    db.session.commit()
    return job


def test_a_hint_goes_out_only_once_the_job_is_committed(app, session, hints, kinds):
    first = queue.enqueue("probe", 1)
    with db.session.begin_nested():  # a savepoint released is not a commit
        pass
    assert hints.sent == []
    db.session.commit()
    assert hints.sent == [(first.id, 0)]
    queue.enqueue("probe", 2)
    db.session.rollback()  # never committed: no hint, and no row for a worker to find
    assert hints.sent == [(first.id, 0)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_a_key_makes_a_job_once_while_it_is_unfinished(app, session, kinds):
    calls, _ = kinds
    one = queue.enqueue("probe", key="the probe")
    again = queue.enqueue("probe", key="the probe")
    db.session.commit()
    assert one.id == again.id
    db.session.commit()
    assert queue.drain(app) == 1 and len(calls) == 1
    later = queue.enqueue("probe", key="the probe")  # finished: a new one may wait
    db.session.commit()
    assert later.id != one.id


def test_a_job_runs_once_however_many_hints_arrive(app, session, kinds):
    calls, _ = kinds
    job = queue.enqueue("probe", 7)
    db.session.commit()
    job_id = job.id
    assert queue.run(app, job_id, "worker-a") is True
    assert queue.run(app, job_id, "worker-b") is False  # done: the second hint does nothing
    assert calls == [(7,)]
    db.session.expire_all()
    done = db.session.get(Job, job_id)
    assert done.status is JobStatus.DONE and done.message == "probed (7,)"
    assert done.claimed_by == "worker-a"


def test_a_live_lease_is_respected_and_a_lapsed_one_taken_over(app, session, kinds):
    calls, _ = kinds
    job = queue.enqueue("probe", 1)
    db.session.commit()
    job_id = job.id
    assert queue.claim(job_id, "dead-worker")  # claimed, then its worker was killed
    db.session.commit()
    assert queue.run(app, job_id, "other") is False and calls == []
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(
        lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert queue.run(app, job_id, "other") is True and calls == [(1,)]
    db.session.expire_all()
    assert db.session.get(Job, job_id).attempts == 2


def test_a_failing_job_backs_off_then_fails_for_operators_who_retry_it(
        app, client, auth, session, hints, kinds):
    calls, behaviour = kinds
    behaviour["raise"] = RuntimeError("the gateway exploded")
    job = queue.enqueue("probe", 3)
    db.session.commit()
    job_id = job.id
    delays = []
    for attempt in (1, 2, 3):
        assert queue.drain(app) == 1
        job = _read(job_id)
        assert job.attempts == attempt and "the gateway exploded" in job.last_error
        if attempt < 3:
            assert job.status is JobStatus.QUEUED and job.not_before > utcnow()
            assert queue.drain(app) == 0  # not before its backoff is over
            delays.append(hints.sent[-1][1])
            _due_now(job_id)
    assert delays == [app.config["JOB_BACKOFF_SECONDS"], 2 * app.config["JOB_BACKOFF_SECONDS"]]
    assert job.status is JobStatus.FAILED and job.finished_at is not None

    auth.login_as(make_user(operator=True))
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert f"#{job_id} probe 3" in page and "RuntimeError: the gateway exploded" in page
    assert f"/operators/jobs/{job_id}/retry" in page
    behaviour["raise"] = None
    response = client.post(f"/operators/jobs/{job_id}/retry", follow_redirects=True)
    assert f"Job {job_id} (probe 3) queued again." in response.get_data(as_text=True)
    assert queue.drain(app) == 1
    assert _read(job_id).status is JobStatus.DONE and len(calls) == 4
    again = client.post(f"/operators/jobs/{job_id}/retry", follow_redirects=True)
    assert "is not failed" in again.get_data(as_text=True)


def test_a_campaign_whose_gateway_raises_never_stops_another_from_settling(
        app, client, auth, session, gw, monkeypatch):
    """Done when (issue 14): the first campaign's batch fails, is retried, and ends failed
    with its error on the console; the second settles meanwhile; fixed and retried, the
    first settles too, each pledge charged once."""
    broken = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000)
    fine = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000)
    for campaign in (broken, fine):
        for _ in range(3):
            back_pledge(campaign, gw, amount="10")
        ended(campaign)
    session.commit()
    broken_id, fine_id = broken.id, fine.id
    real = gw.charge_off_session

    def charge(**call):
        if call["metadata"]["campaign_id"] == str(broken_id):
            raise RuntimeError("unexpected answer from the gateway")
        return real(**call)

    monkeypatch.setattr(gw, "charge_off_session", charge)
    runner = jobs.EmbeddedRunner(app)
    runner.tick()  # the passes, the two settlements, their batches
    db.session.expire_all()
    assert db.session.get(Campaign, fine_id).status is S.COLLECTING
    assert db.session.get(Campaign, broken_id).status is S.FUNDED
    batch_id = db.session.scalar(sa.select(Job.id).where(
        Job.kind == "charge batch", Job.subject == f"campaign:{broken_id}"))
    batch = _read(batch_id)
    while batch.status is not JobStatus.FAILED:  # every retry, its backoff skipped
        _due_now(batch.id)
        queue.drain(app)
        batch = _read(batch_id)
    assert batch.attempts == batch.max_attempts
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert f"charge batch {broken_id} 0" in page
    assert "RuntimeError: unexpected answer from the gateway" in page

    monkeypatch.setattr(gw, "charge_off_session", real)  # fixed
    client.post(f"/operators/jobs/{batch.id}/retry")
    queue.drain(app)
    db.session.expire_all()
    assert db.session.get(Campaign, broken_id).status is S.COLLECTING
    statuses = db.session.scalars(sa.select(Pledge.status).where(
        Pledge.campaign_id.in_([broken_id, fine_id]))).all()
    assert set(statuses) == {P.COLLECTED} and len(statuses) == 6
    assert gw.calls.count("charge_off_session") == 6  # the broken tries never reached it
    assert check_ledger() == []


def test_a_failed_item_is_retried_by_running_its_pass(app, client, auth, session, gw,
                                                      monkeypatch):
    from crowdfund.supervision import JobFailure

    failure = JobFailure(job="send refund", item="12", last_error="boom")
    other = JobFailure(job="something unknown", item="1", last_error="boom")
    db.session.add_all([failure, other])
    session.commit()
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert f"/operators/failures/{failure.id}/retry" in page
    assert f"/operators/failures/{other.id}/retry" not in page
    response = client.post(f"/operators/failures/{failure.id}/retry", follow_redirects=True)
    assert "The settle pass queued" in response.get_data(as_text=True)
    job = db.session.scalar(sa.select(Job))
    assert (job.kind, job.status) == ("settle pass", JobStatus.QUEUED)


def test_the_embedded_runner_settles_a_due_campaign_with_flask_jobs_run(app, session, gw):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000)
    for _ in range(3):
        back_pledge(campaign, gw, amount="10")
    ended(campaign)
    session.commit()
    campaign_id = campaign.id
    app.config["SETTLE_BATCH"] = 2  # two batches
    try:
        result = app.test_cli_runner().invoke(args=["jobs", "run"])
    finally:
        app.config["SETTLE_BATCH"] = 200
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).status is S.COLLECTING
    kinds = sorted(db.session.scalars(sa.select(Job.kind)))
    assert kinds == ["charge batch", "charge batch", "jobs pass", "reconcile with gateway",
                     "send email", "settle campaign", "settle pass"]
    assert set(db.session.scalars(sa.select(Job.status))) == {JobStatus.DONE}


@pytest.mark.postgres_only
def test_two_workers_claiming_one_job_at_once_run_it_once(app, session, kinds):
    calls, _ = kinds
    for _ in range(10):
        job = queue.enqueue("probe")
        db.session.commit()
        job_id, results = job.id, []
        barrier = threading.Barrier(4)

        def claim(name: str, job_id=job_id, barrier=barrier, results=results) -> None:
            with app.app_context():
                barrier.wait()
                results.append(queue.claim(job_id, name))

        threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False, False, False, True]


@pytest.mark.postgres_only
def test_the_same_key_enqueued_at_once_makes_one_job(app, session, kinds):
    ids: list[int] = []
    barrier = threading.Barrier(4)

    def enqueue() -> None:
        with app.app_context():
            barrier.wait()
            job = queue.enqueue("probe", key="one at a time")
            db.session.commit()
            ids.append(job.id)

    threads = [threading.Thread(target=enqueue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_done_passes_are_forgotten_after_an_hour_and_the_rest_after_two_weeks(app, session,
                                                                             kinds):
    now = utcnow()
    rows = {
        "old pass": Job(kind="probe", key="probe", status=JobStatus.DONE,
                        finished_at=now - timedelta(hours=2)),
        "keyed job": Job(kind="probe", key="probe 12", status=JobStatus.DONE,
                        finished_at=now - timedelta(hours=2)),
        "recent settlement": Job(kind="probe", key="settle 1", status=JobStatus.DONE,
                                 finished_at=now - timedelta(days=3)),
        "old settlement": Job(kind="probe", status=JobStatus.DONE,
                              finished_at=now - timedelta(days=15)),
        "failed": Job(kind="probe", status=JobStatus.FAILED, finished_at=now - timedelta(days=30)),
    }
    db.session.add_all(rows.values())
    db.session.flush()
    ids = {name: job.id for name, job in rows.items()}
    assert queue.prune() == 2
    db.session.expire_all()
    left = {name for name, job_id in ids.items()
            if db.session.scalar(sa.select(Job.id).where(Job.id == job_id)) is not None}
    assert left == {"keyed job", "recent settlement", "failed"}
    assert {job.id for job in queue.recent()} == {ids[name] for name in left}


def test_the_sweep_hints_lost_jobs_again_but_not_while_hints_wait_in_the_broker(
        app, session, hints, kinds):
    waiting = queue.enqueue("probe", "waiting")
    running = queue.enqueue("probe", "its worker died")
    db.session.commit()
    assert queue.claim(running.id, "dead")
    long_ago = utcnow() - timedelta(minutes=5)
    db.session.execute(sa.update(Job).values(hinted_at=long_ago))
    db.session.execute(sa.update(Job).where(Job.id == running.id).values(
        lease_until=long_ago))
    db.session.commit()
    hints.sent.clear()
    hints.in_broker = 40  # workers busy: the queued job's hint is still on its way
    assert queue.sweep() == 1
    db.session.commit()
    assert hints.sent == [(running.id, 0)]
    hints.in_broker = 0  # nothing left in the broker: the queued job's hint was lost
    db.session.execute(sa.update(Job).values(hinted_at=long_ago))
    db.session.commit()
    hints.sent.clear()
    assert queue.sweep() == 2
    db.session.commit()
    assert sorted(hints.sent) == sorted([(waiting.id, 0), (running.id, 0)])
    assert queue.sweep() == 0  # just hinted


def test_celery_hints_travel_through_redis_and_are_counted_while_waiting(app, redis_url):
    import json

    import redis

    from crowdfund import tasks

    broker = redis_url.rsplit("/", 1)[0] + "/6"
    client = redis.Redis.from_url(broker)
    client.flushdb()
    app.config["CELERY_BROKER_URL"] = broker
    try:
        tasks.configure(app)
        with app.app_context():
            sender = hints_module.hints()
        assert isinstance(sender, tasks.CeleryHints)
        sender.send(41)
        sender.send(42)
        assert sender.waiting() == 2
        message = json.loads(client.lindex(tasks.QUEUE, 0))
        assert message["headers"]["task"] == "crowdfund.run_job"
    finally:
        app.config["CELERY_BROKER_URL"] = None
        app.extensions.pop("crowdfund.hints", None)
