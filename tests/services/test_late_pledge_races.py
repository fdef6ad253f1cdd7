"""Many backers for the last units of a limited reward at once, after the deadline, as late
pledges: exactly as many win as there are units, on PostgreSQL (``postgres_only``) and on
SQLite, the same conditional UPDATE as on time (``pledges.units.claim_unit``)."""

from __future__ import annotations

import pytest

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges.late import start_late_pledge
from tests.factories import make_campaign, make_tier, make_user, race

BACKERS, LEFT = 30, 4


def _rush(app, session) -> tuple[list[str], int]:
    campaign = make_campaign(status=CampaignStatus.COLLECTING, tiers=0)
    campaign.pledged_at_deadline_minor, campaign.backers_at_deadline = 100_000, 10
    campaign.deadline, campaign.late_pledge_days = utcnow(), 5
    tier = make_tier(campaign, minimum_minor=1000, limit=10, claimed=10 - LEFT)
    tier.late_price_minor = 1200
    racers = [make_user(name=f"Late {n}").id for n in range(BACKERS)]
    session.commit()
    campaign_id, tier_id = campaign.id, tier.id

    def pledge(backer_id: int):
        def action() -> None:
            start_late_pledge(db.session.get(User, backer_id),
                              db.session.get(Campaign, campaign_id),
                              db.session.get(RewardTier, tier_id), Money(1200, "USD"), None)
        return action

    return race(app, *(pledge(b) for b in racers)), tier_id


def _check(outcomes: list[str], tier_id: int) -> None:
    assert outcomes.count("ok") == LEFT, outcomes
    assert outcomes.count("TierSoldOut") == BACKERS - LEFT, outcomes
    db.session.expire_all()
    assert db.session.get(RewardTier, tier_id).claimed == 10


@pytest.mark.postgres_only
def test_the_last_units_go_to_exactly_as_many_late_backers_on_postgresql(app, session):
    _check(*_rush(app, session))


@pytest.mark.sqlite_only
def test_the_last_units_go_to_exactly_as_many_late_backers_on_sqlite(app, session):
    _check(*_rush(app, session))
