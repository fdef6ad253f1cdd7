"""Every email of a flexible campaign says how it charges (issue 28): backers are charged at
the deadline whatever the total and the founder keeps what is raised; the footer never
promises all or nothing; below the goal, the outcome is told honestly. An all-or-nothing
campaign's emails are unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus, FundingModel
from crowdfund.extensions import db
from crowdfund.notifications import community_emails, emails
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import PledgeStatus
from tests.factories import make_campaign, make_pledge, make_user, usd

S, P, F = CampaignStatus, PledgeStatus, FundingModel
FLEXIBLE_FOOTER = ("crowdfund: flexible funding. Backers are charged at the deadline whatever "
                   "the total; the founder keeps what is raised.")


def _campaign(model: FundingModel = F.FLEXIBLE, pledged: int | None = 30_000):
    """A campaign with a $1,000.00 goal, ended with ``pledged`` (None: still live)."""
    campaign = make_campaign(status=S.LIVE if pledged is None else S.FUNDED,
                             funding_model=model, title="Harbour Lights", tiers=0)
    campaign.pledged_at_deadline_minor = pledged
    return campaign


def _pledge(campaign, status=P.ACTIVE):
    pledge = make_pledge(campaign, status=status)
    pledge.payment_method_id, pledge.card_brand, pledge.card_last4 = "pm_1", "visa", "4242"
    db.session.flush()
    return pledge


def _sent() -> list[OutboxMessage]:
    db.session.flush()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


SENDERS = {
    "pledge_confirmed": lambda: emails.pledge_confirmed(_pledge(_campaign(pledged=None))),
    "campaign_launched": lambda: emails.campaign_launched(_campaign(pledged=None)),
    "outcome_founder": lambda: emails.campaign_outcome_founder(_campaign(), usd(300), 3),
    "outcome_backer": lambda: emails.campaign_outcome_backer(_pledge(_campaign()), True),
    "receipt": lambda: emails.receipt(_pledge(_campaign(), P.COLLECTED), usd(50), "pi_1"),
    "payment_failed": lambda: emails.payment_failed(_pledge(_campaign(), P.ERRORED),
                                                    _campaign().deadline + timedelta(days=7)),
    "card_health": lambda: emails.card_health(_pledge(_campaign(pledged=None)), "7d",
                                              "Your card expires before then."),
    "follow_launch": lambda: community_emails.followed_founder_launched(
        _campaign(pledged=None), make_user()),
    "follow_outcome": lambda: community_emails.followed_campaign_outcome(
        _campaign(), make_user(), True),
}


@pytest.mark.parametrize("name", sorted(SENDERS))
def test_a_flexible_campaigns_email_never_promises_all_or_nothing(session, name):
    assert SENDERS[name]()
    (message,) = _sent()
    assert FLEXIBLE_FOOTER in message.text_body and FLEXIBLE_FOOTER in message.html_body
    read = f"{message.subject}\n{message.text_body}".lower()
    assert "all or nothing" not in read and "only if" not in read
    assert "only charged if" not in read


def test_what_the_flexible_messages_say(session):
    pledge = _pledge(_campaign(pledged=None))
    emails.pledge_confirmed(pledge)
    emails.campaign_launched(pledge.campaign)
    below = _campaign()
    emails.campaign_outcome_founder(below, usd(300), 3)
    emails.campaign_outcome_backer(_pledge(below), True)
    emails.payment_failed(_pledge(below, P.ERRORED), below.deadline)
    nothing = _campaign(pledged=0)
    nothing.status = S.FAILED
    emails.campaign_outcome_founder(nothing, usd(0), 0)
    community_emails.followed_campaign_outcome(below, make_user(), True)
    texts = [f"{m.subject}\n{m.text_body}" for m in _sent()]
    confirmed, launched, founder, backer, failed, empty, follower = texts
    assert ("will be charged $50.00 at the deadline" in confirmed
            and "whether or not the campaign reaches its goal of $1,000.00" in confirmed)
    assert "backers are charged at the deadline whatever the total" in launched
    assert "ended below its goal" in founder and "you keep what was raised" in founder
    assert ("did not reach its goal of $1,000.00. As a flexible campaign, the founder keeps "
            "what was raised: your card will be charged $50.00 now") in backer
    assert "as a flexible campaign, charges its backers whatever the total" in failed
    assert "ended with nothing pledged of its $1,000.00 goal, so nobody is charged" in empty
    assert "as a flexible campaign, the founder keeps what was raised" in follower


def test_a_flexible_campaign_that_reached_its_goal_is_told_it_reached_it(session):
    reached = _campaign(pledged=100_000)
    emails.campaign_outcome_founder(reached, usd(1_000), 3)
    emails.campaign_outcome_backer(_pledge(reached), True)
    founder, backer = (f"{m.subject}\n{m.text_body}" for m in _sent())
    assert "Harbour Lights is funded" in founder and "reached $1,000.00" in founder
    assert "Harbour Lights reached its goal" in backer
    assert "below" not in founder + backer


def test_an_all_or_nothing_campaigns_emails_are_unchanged(session):
    below = _campaign(F.ALL_OR_NOTHING)
    below.status = S.FAILED
    emails.campaign_outcome_founder(below, usd(300), 3)
    emails.campaign_outcome_backer(_pledge(below, P.RELEASED), False)
    founder, backer = _sent()
    assert "All or nothing: no backer is charged" in founder.text_body
    assert "You have not been charged and will not be" in backer.text_body
    assert "crowdfund: all or nothing." in backer.text_body
