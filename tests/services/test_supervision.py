"""One bad row never stops a loop: a poisoned outbox message, a campaign whose settlement
raises, a periodic job that raises, and the ``--watch`` loops themselves. What failed is
recorded where operators see it (the settlement console), and the rest goes on."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from crowdfund import jobs
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications import delivery, outbox
from crowdfund.notifications.models import OutboxMessage
from crowdfund.settlement import services as settlement
from crowdfund.supervision import JobFailure, watch_loop
from tests.factories import make_campaign, make_pledge, make_user

S = CampaignStatus


def _row(n: int, subject: str = "Hello", to_name: str = "Ada") -> OutboxMessage:
    row = OutboxMessage(dedupe_key=f"poison-{n}", kind="test", to_email=f"to{n}@example.com",
                        to_name=to_name, subject=subject, text_body="Hi", html_body="<p>Hi</p>",
                        next_attempt_at=utcnow())
    db.session.add(row)
    return row


def test_a_line_break_in_a_header_value_is_made_safe_and_sent(app, session, smtp):
    _row(1, subject="Launch day\r\nBcc: everyone@example.com", to_name="Eve\nBcc: x@y.z")
    _row(2)
    session.commit()
    report = outbox.deliver_due()
    assert report.sent == 2
    subjects = sorted(str(m["Subject"]) for _to, m in smtp.messages)
    assert subjects == ["Hello", "Launch day Bcc: everyone@example.com"]
    assert all(m["Bcc"] is None for _to, m in smtp.messages)
    assert [to for to, _m in smtp.messages] == [["to1@example.com"], ["to2@example.com"]]


def test_a_message_that_cannot_be_built_is_marked_and_never_blocks_the_rest(
        app, session, smtp, monkeypatch):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    bad = _row(1)
    for n in range(2, 5):
        _row(n)
    session.commit()
    bad_id = bad.id
    real = delivery.build_message

    def poisoned(row, config):
        if row.id == bad_id:
            raise ValueError("Header values may not contain linefeed or carriage return")
        return real(row, config)

    monkeypatch.setattr(delivery, "build_message", poisoned)
    report = outbox.deliver_due()
    assert (report.sent, report.failed) == (3, 1)
    row = db.session.get(OutboxMessage, bad_id)
    db.session.refresh(row)
    assert row.attempts == 1 and "linefeed" in row.last_error and row.sent_at is None
    # retried a bounded number of times, then given up and shown to operators
    row.next_attempt_at = utcnow()
    session.commit()
    assert outbox.deliver_due().given_up == 1
    operator = make_user(operator=True)
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": operator.email, "password": "correct horse battery"})
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "Email that failed (1)" in page and "linefeed" in page


def _due_campaigns(session, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=100_000)
        make_pledge(campaign, amount_minor=1_000)  # far below the goal: it fails
        campaign.deadline = utcnow().replace(microsecond=0) - settlement_timedelta()
        ids.append(campaign.id)
    session.commit()
    return ids


def settlement_timedelta():
    from datetime import timedelta

    return timedelta(minutes=5)


def test_one_campaign_whose_settlement_raises_never_stops_the_others(
        app, session, settler, monkeypatch):
    first, poisoned, last = _due_campaigns(session, 3)
    real = settlement.decide_at_deadline

    def close(campaign, now=None):
        if campaign.id == poisoned:
            raise RuntimeError(f"a corrupt row in campaign {campaign.id}")
        return real(campaign, now)

    monkeypatch.setattr(settlement, "decide_at_deadline", close)
    reports = settler.settle_due()
    assert [r.outcome for r in reports] == [
        "failed: nobody charged", "error (see the settlement console)",
        "failed: nobody charged"]
    db.session.expire_all()
    assert db.session.get(Campaign, first).status is S.FAILED
    assert db.session.get(Campaign, last).status is S.FAILED
    assert db.session.get(Campaign, poisoned).status is S.LIVE
    assert db.session.get(Campaign, poisoned).settlement_claimed_by is None  # claim released
    failure = db.session.scalar(sa.select(JobFailure))
    assert (failure.job, failure.item) == ("settle campaign", str(poisoned))
    assert "corrupt row" in failure.last_error and failure.resolved_at is None
    settler.settle_due()
    db.session.refresh(failure)
    assert failure.attempts == 2
    # fixed: the next pass settles it and the failure is resolved
    monkeypatch.setattr(settlement, "decide_at_deadline", real)
    settler.settle_due()
    db.session.expire_all()
    assert db.session.get(Campaign, poisoned).status is S.FAILED
    assert db.session.get(JobFailure, failure.id).resolved_at is not None


def test_one_periodic_job_that_raises_leaves_the_others_running(app, session, monkeypatch):
    def broken():
        raise RuntimeError("card health exploded")

    monkeypatch.setattr(jobs, "remind_card_health", broken)
    calls = []
    monkeypatch.setattr(jobs, "release_abandoned", lambda: calls.append("released") or 2)
    with app.app_context():
        done = jobs.run_once()
        assert done["asked to update a card"] == 0 and done["released"] == 2
        assert calls == ["released"]
        failure = db.session.scalar(sa.select(JobFailure))
        assert (failure.job, failure.item) == ("jobs", "asked to update a card")


def test_watch_loops_survive_an_exception_in_a_pass(app):
    passes = []

    def one_pass():
        passes.append(len(passes))
        if len(passes) == 1:
            raise RuntimeError("the database went away")

    with app.app_context():
        watch_loop(one_pass, 0, "test", sleep=lambda s: None, passes=3)
    assert passes == [0, 1, 2]


class _Stop(BaseException):
    """Ends a --watch loop in a test (a BaseException, as Ctrl-C is)."""


def test_flask_settle_and_jobs_watch_survive_a_failing_pass(app, monkeypatch):
    from crowdfund.settlement.runner import Settler

    sleeps = []
    real_sleep = time.sleep

    def sleep(seconds):
        if seconds < 1:  # not the loop's: SQLite's writers polling (a heartbeat writes too)
            return real_sleep(seconds)
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise _Stop("after three passes")

    def explode(self):
        raise RuntimeError("boom")

    monkeypatch.setattr("crowdfund.supervision.time.sleep", sleep)
    monkeypatch.setattr(Settler, "run_once", explode)
    runner = app.test_cli_runner()
    with pytest.raises(_Stop, match="after three passes"):
        runner.invoke(args=["settle", "--watch", "--interval", "1"])
    assert len(sleeps) == 3  # three passes, each of which raised
    sleeps.clear()
    monkeypatch.setattr(jobs.EmbeddedRunner, "tick",
                        lambda self: (_ for _ in ()).throw(RuntimeError("x")))
    with pytest.raises(_Stop, match="after three passes"):
        runner.invoke(args=["jobs", "run", "--watch"])
    assert len(sleeps) == 3


def test_one_backer_whose_email_fails_never_stops_a_campaigns_close(app, session,
                                                                    monkeypatch):
    """A loop inside one transaction (the outcome emails of a closing campaign): the bad
    item is rolled back to its savepoint and recorded, the others are queued, and the
    campaign closes."""
    from crowdfund.notifications import emails

    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000)
    pledges = [make_pledge(campaign, amount_minor=1_000) for _ in range(3)]
    campaign.deadline = utcnow() - settlement_timedelta()
    session.commit()
    bad_id = pledges[1].id
    real = emails.campaign_outcome_backer

    def outcome(pledge, funded):
        if pledge.id == bad_id:
            raise KeyError("template variable missing")
        return real(pledge, funded)

    monkeypatch.setattr(emails, "campaign_outcome_backer", outcome)
    settlement.close_at_deadline(campaign)
    session.commit()
    assert campaign.status is S.FAILED
    told = set(session.scalars(sa.select(OutboxMessage.to_email)))
    assert pledges[0].backer.email in told and pledges[2].backer.email in told
    assert pledges[1].backer.email not in told
    failure = session.scalar(sa.select(JobFailure))
    assert (failure.job, failure.item) == ("outcome email", str(bad_id))


def test_log_lines_say_which_item_a_loop_was_on(app):
    """Every line logged while an item runs names its job and item (the failure too);
    after it, lines name nothing."""
    import io
    import logging

    from crowdfund import logs
    from crowdfund.supervision import isolated

    handler = logs.configure("text")
    buffer = io.StringIO()
    handler.setStream(buffer)
    worker = logging.getLogger("crowdfund.settlement")

    def charge(pledge_id):
        worker.warning("retrying the gateway")
        if pledge_id == 2:
            raise RuntimeError("gateway exploded")
        return True

    try:
        assert isolated(app, "charge pledge", 1, charge, 1) is True
        assert not isolated(app, "charge pledge", 2, charge, 2)
        worker.warning("pass done")
    finally:
        logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    lines = [line for line in buffer.getvalue().splitlines() if " crowdfund." in line]
    assert "[charge pledge 1] retrying the gateway" in lines[0]
    assert "[charge pledge 2] retrying the gateway" in lines[1]
    assert "[charge pledge 2] charge pledge 2 failed; the loop goes on" in lines[2]
    assert lines[-1].endswith("[-] pass done")
