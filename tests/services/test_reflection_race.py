"""The EU reflection period ending while the offering closes, on PostgreSQL
(``postgres_only``): an investor revokes in the last instant of their period while the
settle loop decides the offering in the first instant after it. Whichever takes the
campaign's lock first wins, every round, and the books agree: revoked, the commitment is
cancelled, left out of the total at the deadline and never charged; decided first, the
revocation is refused and the commitment counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity import eu, investing, investors
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import services as settlement
from tests.factories import investor, live_offering, race

pytestmark = pytest.mark.postgres_only

ROUNDS = 6
RIGHT = {name: key for name, _q, _o, key in eu.KNOWLEDGE_TEST}


def _offering_with_two_investors():
    campaign = live_offering(price="1.00", minimum="10")
    campaign.currency, campaign.goal_minor = "EUR", 100_00
    offering_of(campaign).issuer_jurisdiction = "DE"
    now = utcnow()
    ids = []
    for _ in range(2):
        person = investor(income="40000", worth="20000", country="DE")
        profile = investors.profile_of(person)
        eu.take_knowledge_test(profile, RIGHT)
        eu.simulate_loss(profile, investors.rules_of(person, profile))
        pledge = investing.start_investment(person, campaign, Money(100_00, "EUR"), now)
        pledge.status = PledgeStatus.ACTIVE
        ids.append((pledge.id, person.id))
    campaign.deadline = now - timedelta(minutes=1)
    db.session.flush()
    return campaign.id, ids


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_revocation_and_the_decision_at_the_end_of_the_period(app, session, round_):
    campaign_id, ids = _offering_with_two_investors()
    (revoking, person_id), _other = ids
    until = db.session.get(Pledge, revoking).revocable_until
    db.session.execute(sa.update(Pledge).where(Pledge.id != revoking, Pledge.campaign_id ==
                                               campaign_id).values(revocable_until=until))
    session.commit()

    def revoke():
        pledges.cancel_pledge(db.session.get(Pledge, revoking), db.session.get(User, person_id),
                              until - timedelta(milliseconds=1))

    def decide():
        settlement.decide_at_deadline(db.session.get(Campaign, campaign_id),
                                      until + timedelta(milliseconds=1))

    outcomes = race(app, *((revoke, decide) if round_ % 2 else (decide, revoke)))
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    pledge = db.session.get(Pledge, revoking)
    assert campaign.status is CampaignStatus.FUNDED
    if pledge.status is PledgeStatus.CANCELLED:  # revoked first: left out of the total
        assert "DomainError" not in outcomes
        assert campaign.pledged_at_deadline_minor == 100_00
    else:  # decided first: the revocation was refused, the commitment counts
        assert sorted(outcomes) == ["DomainError", "ok"]
        assert pledge.status is PledgeStatus.ACTIVE
        assert campaign.pledged_at_deadline_minor == 200_00
