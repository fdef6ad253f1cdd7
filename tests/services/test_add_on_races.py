"""Many backers for the last units of a limited add-on at once: exactly as many win as there
are units, on PostgreSQL (``postgres_only``: transactions side by side) and on SQLite (the
same shape; writers take turns there), and the count never passes the limit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges import services
from crowdfund.pledges.models import Pledge, PledgeAddOn
from tests.factories import make_add_on, make_campaign, make_tier, make_user, race

BACKERS = 60
LEFT = 7


def _rush(app, session, limit: int = 20) -> tuple[list[str], int]:
    """``BACKERS`` backers each ask for one unit of a pin whose ``LEFT`` last units are
    left (the others taken earlier); the outcomes and the pin's id. Each backer chooses a
    reward of their own (unlimited): no reward's row lines them up, only the pin's claim
    stands between them."""
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    tiers = [make_tier(campaign, minimum_minor=1000) for _ in range(BACKERS)]
    pin = make_add_on(campaign, name="Pin", price_minor=500, limit=limit)
    early = services.start_pledge(make_user(), campaign, tiers[0], Money(9000, "USD"), None,
                                  extras=[(pin, limit - LEFT)])
    assert early.add_ons[0].quantity == limit - LEFT
    racers = [(make_user(name=f"Racer {n}").id, tier.id) for n, tier in enumerate(tiers)]
    session.commit()
    campaign_id, pin_id = campaign.id, pin.id

    def pledge(backer_id: int, tier_id: int):
        def action() -> None:
            services.start_pledge(db.session.get(User, backer_id),
                                  db.session.get(Campaign, campaign_id),
                                  db.session.get(RewardTier, tier_id), Money(1500, "USD"), None,
                                  extras=[(db.session.get(AddOn, pin_id), 1)])
        return action

    return race(app, *(pledge(*racer) for racer in racers)), pin_id


def _check(outcomes: list[str], pin_id: int, limit: int = 20) -> None:
    assert outcomes.count("ok") == LEFT, outcomes
    assert outcomes.count("AddOnSoldOut") == BACKERS - LEFT, outcomes
    db.session.expire_all()
    assert db.session.get(AddOn, pin_id).claimed == limit
    held = db.session.scalar(sa.select(sa.func.sum(PledgeAddOn.quantity)).where(
        PledgeAddOn.add_on_id == pin_id))
    assert held == limit  # every claimed unit is on a pledge, none twice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == LEFT + 1


@pytest.mark.postgres_only
def test_the_last_add_on_units_go_to_exactly_as_many_backers_on_postgresql(app, session):
    outcomes, pin_id = _rush(app, session)
    _check(outcomes, pin_id)


@pytest.mark.sqlite_only
def test_the_last_add_on_units_go_to_exactly_as_many_backers_on_sqlite(app, session):
    outcomes, pin_id = _rush(app, session)
    _check(outcomes, pin_id)
