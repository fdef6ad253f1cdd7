"""Saved cards of pledges that ended uncharged: detached at the gateway by a step of its own,
recorded per pledge, resumed after a kill, retried with backoff, shown when stuck
(``settlement.cards``), on the in-process gateway. The same against the sandbox with a
real process killed: ``tests/payments/test_settle_kills.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund import queue
from crowdfund.auth import privacy
from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.payments.gateway import GatewayUnavailable
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import cards, recovery
from crowdfund.settlement import plan as settlement_plan
from crowdfund.settlement.detaching import DETACH_CARDS
from crowdfund.supervision import JobFailure
from tests.factories import PASSWORD, back_pledge, ended, make_campaign, make_user, race

S, P = CampaignStatus, PledgeStatus


class Killed(BaseException):
    """The process died here (nothing below it runs, nothing catches it)."""


def _rows(app, campaign_id: int) -> list[Pledge]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign_id).order_by(Pledge.id)))


def _attached(gw, made: list[Pledge]) -> list[bool]:
    return [gw.cards[p.payment_method_id]["customer"] is not None for p in made]


def _leases_lapse(app) -> None:
    """Time travel: the claims of a run that died lapse (its campaign's and its cards')."""
    with app.app_context():
        db.session.execute(sa.update(Campaign).values(settlement_claimed_by=None,
                                                      settlement_claimed_until=None))
        db.session.execute(sa.update(Pledge).where(Pledge.card_detached_at.is_(None)).values(
            card_detach_retry_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def _due(app) -> list[int]:
    with app.app_context():
        return settlement_plan.due_campaign_ids()


def test_a_killed_detach_is_finished_by_the_next_pass(app, session, gw, settler, monkeypatch):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000)
    made = [back_pledge(campaign, gw) for _ in range(6)]
    ended(campaign)
    session.commit()
    detach, calls = gw.detach_payment_method, []

    def dies_on_the_third(payment_method_id):
        calls.append(payment_method_id)
        if len(calls) >= 3:
            raise Killed("the process died")  # and nothing goes out after it
        detach(payment_method_id)

    monkeypatch.setattr(gw, "detach_payment_method", dies_on_the_third)
    settler.concurrency = 1
    with pytest.raises(Killed, match="died"):
        settler.settle(campaign.id)
    assert _attached(gw, made).count(True) == 4  # closed, released, two detached, killed
    assert campaign.id not in _due(app)  # the dead run's cards are leased to it...
    _leases_lapse(app)
    assert campaign.id in _due(app)  # ... and due again once the lease lapsed
    monkeypatch.setattr(gw, "detach_payment_method", detach)
    reports = settler.settle_due()
    assert [r.outcome for r in reports] == ["failed: nobody charged"]
    assert _attached(gw, made) == [False] * 6  # ... and the next pass finishes the job
    assert all(p.card_detached_at is not None for p in _rows(app, campaign.id))
    assert campaign.id not in _due(app)


@pytest.mark.parametrize("stop", ["cancel", "suspend"])
def test_a_stopped_campaign_gives_back_its_released_pledges_cards(app, session, gw, settler,
                                                                  stop):
    campaign = make_campaign(status=S.LIVE, tiers=0)
    made = [back_pledge(campaign, gw) for _ in range(2)]
    if stop == "cancel":
        campaigns.cancel(campaign, campaign.founder, "The factory closed")
    else:
        campaigns.suspend(campaign, make_user(operator=True), "Fraud")
    session.commit()
    assert campaign.id in _due(app) and _attached(gw, made) == [True, True]
    report = settler.settle(campaign.id)
    assert report.counts == {"card detached": 2}
    assert _attached(gw, made) == [False, False]
    assert {p.status for p in _rows(app, campaign.id)} == {P.RELEASED}
    assert campaign.id not in _due(app)


def test_a_pledge_cancelled_by_its_backer_gives_back_its_card_while_the_campaign_runs(
        app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0)
    leaving, staying = back_pledge(campaign, gw), back_pledge(campaign, gw)
    pledges.cancel_pledge(leaving, leaving.backer)
    session.commit()
    dry_run = app.test_cli_runner().invoke(args=["settle", "--dry-run"])
    assert dry_run.output == f"{campaign.slug}: live, not due; detach 1 saved card\n"
    reports = settler.settle_due()
    assert [r.describe() for r in reports] == [
        f"{campaign.slug}: live: nothing to do (card detached: 1)"]
    assert _attached(gw, [leaving, staying]) == [False, True]
    session.commit()  # (those reads began a transaction: SQLite would hold it)
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).status is S.LIVE  # nothing else done
    assert _due(app) == []


def test_closing_an_account_detaches_its_cancelled_pledges_cards_then_erases_them(
        app, session, gw, settler):
    """Closing cancels the person's open pledges: their cards are detached by the next pass
    like any other, and only then is the card reference erased."""
    campaign = make_campaign(status=S.LIVE, tiers=0)
    leaving = back_pledge(campaign, gw)
    session.commit()
    privacy.close_account(leaving.backer, PASSWORD)
    session.commit()
    with app.app_context():
        kept = db.session.get(Pledge, leaving.id)
        assert kept.status is P.CANCELLED and kept.payment_method_id is not None
        assert kept.card_last4 is None  # the details people read are gone at once
    settler.settle_due()
    assert _attached(gw, [leaving]) == [False]
    with app.app_context():
        done = db.session.get(Pledge, leaving.id)
        assert done.card_detached_at is not None and done.payment_method_id is None


def test_a_card_another_open_pledge_still_uses_is_kept(app, session, gw, settler):
    failing = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000)
    running = make_campaign(status=S.LIVE, tiers=0)
    first = back_pledge(failing, gw)
    second = pledges.start_pledge(first.backer, running, None, first.amount, None)
    second.payment_method_id, second.status = first.payment_method_id, P.ACTIVE  # one card
    stranger = back_pledge(running, gw)
    stranger.payment_method_id = first.payment_method_id  # not the same customer: no matter
    ended(failing)
    session.commit()
    assert settler.settle(failing.id).counts == {"card kept (another pledge uses it)": 1}
    assert _attached(gw, [first]) == [True]
    with app.app_context():
        row = db.session.get(Pledge, first.id)
        assert row.card_detached_at is not None
        assert row.card_detach_note == f"Kept: pledge {second.id} still uses this card"
    campaigns.cancel(db.session.get(Campaign, running.id), running.founder, "Stopping")
    session.commit()
    settler.settle(running.id)  # its last user ended: now the card goes
    assert _attached(gw, [first]) == [False]


def test_a_card_detached_already_counts_as_done(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000)
    made = back_pledge(campaign, gw)
    gw.detach_payment_method(made.payment_method_id)  # by hand, in the dashboard
    ended(campaign)
    session.commit()
    assert settler.settle(campaign.id).counts == {"card not attached": 1}
    assert _due(app) == []


def test_a_dropped_pledge_gives_back_its_card(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    paid, unpaid = back_pledge(campaign, gw, amount="100"), back_pledge(campaign, gw, "declines")
    ended(campaign)
    session.commit()
    settler.settle(campaign.id)
    with app.app_context():
        recovery.drop(db.session.get(Pledge, unpaid.id))
        db.session.commit()
    assert [r.describe() for r in settler.settle_due()] == [
        f"{campaign.slug}: collecting: nothing to do (card detached: 1)"]
    assert _attached(gw, [paid, unpaid]) == [True, False]


def test_failures_wait_longer_each_time_show_as_stuck_and_resolve(app, session, gw, settler,
                                                                  monkeypatch, client, auth):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000)
    made = back_pledge(campaign, gw)
    ended(campaign)
    session.commit()
    detach = gw.detach_payment_method

    def down(payment_method_id):
        raise GatewayUnavailable("Connection refused")

    monkeypatch.setattr(gw, "detach_payment_method", down)
    stuck_after = app.config["CARD_DETACH_STUCK_AFTER"]
    waits = []
    for attempt in range(1, stuck_after + 1):
        started = utcnow()
        assert settler.settle(campaign.id).counts == {"card detach failed": 1}
        (row,) = _rows(app, campaign.id)
        assert row.card_detach_attempts == attempt and row.card_detached_at is None
        assert row.card_detach_note == "GatewayUnavailable: Connection refused"
        waits.append(round((row.card_detach_retry_at - started).total_seconds() / 30))
        assert campaign.id not in _due(app)  # not before its next try...
        with app.app_context():
            failures = db.session.scalars(sa.select(JobFailure)).all()
            assert [(f.job, f.item) for f in failures] == (
                [("detach card", str(made.id))] if attempt >= stuck_after else [])
        _leases_lapse(app)
        assert campaign.id in _due(app)  # ... and due again then
    assert waits == [2 ** n for n in range(stuck_after)]  # 30 s, doubled per try
    with app.app_context():
        assert [row.stuck for row in cards.left_by_campaign()] == [1]
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "Saved cards to detach (1)" in page and "<strong>1</strong>" in page
    assert f"<code>{made.id}</code>" in page and "GatewayUnavailable: Connection refused" in page
    assert "Retry now" in page  # runs the settle pass, whose loop it is
    monkeypatch.setattr(gw, "detach_payment_method", detach)
    assert settler.settle(campaign.id).counts == {"card detached": 1}
    with app.app_context():
        assert db.session.scalar(sa.select(JobFailure.resolved_at)) is not None
        assert cards.left_by_campaign() == []
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "Saved cards to detach (0)" in page and "No saved card waits" in page


def test_the_jobs_queue_detach_batches_that_any_worker_runs(app, session, gw, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000)
    made = [back_pledge(campaign, gw) for _ in range(5)]
    ended(campaign)
    session.commit()
    settler.batch = 2
    settler.settle(campaign.id, fan_out=True)
    settler.settle(campaign.id, fan_out=True)  # batches unfinished: none queued twice
    with app.app_context():
        batches = db.session.scalars(sa.select(queue.Job.args).where(
            queue.Job.kind == DETACH_CARDS).order_by(queue.Job.id)).all()
    ids = [p.id for p in made]
    assert batches == [[campaign.id, 0, ids[1]], [campaign.id, ids[1], ids[3]],
                       [campaign.id, ids[3], ids[4]]]
    assert _attached(gw, made) == [True] * 5
    queue.drain(app)
    assert _attached(gw, made) == [False] * 5
    assert _due(app) == []


@pytest.mark.postgres_only
def test_two_runners_claim_each_card_once(app, session, gw):
    for _ in range(8):
        campaign = make_campaign(status=S.LIVE, tiers=0)
        ids = [back_pledge(campaign, gw).id for _ in range(6)]
        campaigns.cancel(campaign, campaign.founder, "Stopping")
        session.commit()
        claimed: list[list[int]] = [[], [], []]

        def runner(index: int, ids=ids, claimed=claimed) -> None:
            claimed[index] = [card.pledge_id for card in cards.claim(ids).cards]

        race(app, *(lambda i=i: runner(i) for i in range(3)))
        taken = [pledge_id for each in claimed for pledge_id in each]
        assert sorted(taken) == sorted(ids)  # every card claimed, by exactly one runner
        with app.app_context():
            assert set(db.session.scalars(sa.select(Pledge.card_detach_attempts).where(
                Pledge.id.in_(ids)))) == {1}
