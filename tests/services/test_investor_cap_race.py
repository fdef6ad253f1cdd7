"""China's 200 investors per offering, at the same instant on PostgreSQL
(``postgres_only``; SQLite serialises writers and cannot show it): with 199 investors, two
people taking the last place at once: one is in, the other refused with the reason, every
round."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import IdentityVerification, User, VerificationStatus
from crowdfund.campaigns.models import Campaign
from crowdfund.equity import investing
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import investor, live_offering, make_pledge, make_user, race

pytestmark = pytest.mark.postgres_only

ROUNDS = 4


def _offering_with(investors: int) -> int:
    campaign = live_offering(price="10.00", minimum="100")
    campaign.currency = "CNY"
    offering = offering_of(campaign)
    offering.issuer_jurisdiction = "CN"
    offering.maximum_minor = 10_000_000_00  # CNY 10 million
    offering.minimum_investment_minor, offering.price_per_share_minor = 100_00, 10_00
    for _ in range(investors):
        make_pledge(campaign, make_user(), amount_minor=1_000_00).status = PledgeStatus.ACTIVE
    db.session.flush()
    return campaign.id


def _qualified() -> int:
    person = investor(income="600000", worth="800000", country="CN", assets="0")
    db.session.add(IdentityVerification(user_id=person.id, status=VerificationStatus.VERIFIED,
                                        legal_name="x", country="CN"))
    db.session.flush()
    return person.id


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_investors_for_the_last_place(app, session, round_):
    campaign_id = _offering_with(199)
    people = [_qualified(), _qualified()]
    session.commit()

    def invest(person_id: int):
        def action():
            investing.start_investment(db.session.get(User, person_id),
                                       db.session.get(Campaign, campaign_id),
                                       Money(1_000_00, "CNY"))
        return action

    outcomes = race(app, *(invest(p) for p in people))
    assert sorted(outcomes) == ["InvestorCapReached", "ok"]
    db.session.expire_all()
    investors = db.session.scalar(sa.select(sa.func.count(sa.distinct(Pledge.backer_id)))
                                  .where(Pledge.campaign_id == campaign_id))
    assert investors == 200
