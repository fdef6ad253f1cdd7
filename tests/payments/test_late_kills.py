"""Late pledges whose charges are resumed by `flask settle` SIGKILLed again and again
against the sandbox over HTTP (docs/money.md#late-pledges): each late pledge's card page
was killed after committing its charge attempt, so the read-back job sends it with the
attempt's key, under kills; every late pledge ends charged exactly once (the sandbox counts
PaymentIntents per pledge), the campaign settles once its late window has closed, its one
payout holds the late money, and the ledger check passes."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from bench.cluster import charges_by_pledge, saved_cards
from bench.common import pledges_with_cards
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger.services import check as check_ledger
from crowdfund.ledger.services import founder_owed
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.models import Payout
from tests.factories import make_campaign
from tests.sandbox import settle_process, settler
from tests.sandbox_late import late_pledges_left_unanswered, run_killed

ON_TIME, LATE = 10, 40


def test_late_pledges_resumed_under_kills_are_charged_once_and_paid_out_once(
        app, stripe_sandbox):
    sandbox = stripe_sandbox
    with app.app_context():
        campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=1000)
        campaign.deadline, campaign.late_pledge_days = utcnow() - timedelta(minutes=1), 3
        db.session.flush()
        pledges_with_cards(campaign, saved_cards(sandbox.base, ON_TIME))
        db.session.commit()
        campaign_id = campaign.id
    assert settler(app).settle(campaign_id).counts == {"succeeded": ON_TIME}
    late_ids = late_pledges_left_unanswered(app, saved_cards(sandbox.base, LATE),
                                            campaign_id, first=ON_TIME)
    with app.app_context():  # the collection and late windows are over, the payout is due
        campaign = db.session.get(Campaign, campaign_id)
        campaign.collection_ends_at = utcnow() - timedelta(minutes=1)
        campaign.deadline -= timedelta(days=3) + app.config["PAYOUT_DELAY"]
        db.session.commit()

    kills, runs, started = 0, 0, time.monotonic()
    while _status(app, campaign_id) is not CampaignStatus.SETTLED:
        assert time.monotonic() - started < 120, f"no end after {runs} runs, {kills} kills"
        kills += run_killed(settle_process(app, sandbox, SETTLE_REQUESTS_PER_SECOND="10"),
                            sandbox, seconds=1.5)
        runs += 1
        made = charges_by_pledge(sandbox.base, campaign_id)
        assert max(len(intents) for intents in made.values()) <= 1
    print(f"late pledges charged after {runs} runs, {kills} killed")
    assert kills >= 1, f"{runs} runs, {kills} kills"

    made = charges_by_pledge(sandbox.base, campaign_id)
    assert len(made) == ON_TIME + LATE
    assert all(made[str(i)] == ["succeeded"] for i in late_ids)  # exactly once each
    with app.app_context():
        rows = db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign_id)).all()
        assert {p.status for p in rows} == {PledgeStatus.COLLECTED}
        assert sum(p.late for p in rows) == LATE
        (payout,) = db.session.scalars(sa.select(Payout).where(
            Payout.campaign_id == campaign_id)).all()
        assert payout.amount_minor == founder_owed(campaign_id, "USD").amount > 0
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.backers_at_deadline == ON_TIME  # the frozen total never moved
        assert check_ledger() == []


def _status(app, campaign_id: int) -> CampaignStatus:
    with app.app_context():
        return db.session.scalar(sa.select(Campaign.status).where(Campaign.id == campaign_id))

