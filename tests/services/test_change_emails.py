"""Every change or cancellation of a pledge (an investment) is confirmed by email: exactly
one message per change, to the backer, saying what it was and what it is now; none for a
change refused or rolled back (``notifications.change_emails``)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity import changes, investing
from crowdfund.equity.services import offering_of
from crowdfund.errors import DomainError
from crowdfund.money import Money
from crowdfund.notifications.models import OutboxMessage
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges import services
from crowdfund.settlement import refunds
from tests.factories import (
    investor,
    live_offering,
    make_add_on,
    make_campaign,
    make_tier,
    make_user,
    pledge_of,
    terms_of,
)


def usd(major) -> Money:
    return Money.from_decimal(str(major), "USD")


@pytest.fixture
def live(session):
    campaign = make_campaign(make_user(name="Founder"), status=CampaignStatus.LIVE,
                             goal_minor=100_000, tiers=0)
    plain = make_tier(campaign, minimum_minor=2500)
    shipped = make_tier(campaign, minimum_minor=4000, ships=True)  # ROW 15.00
    plain.title, shipped.title = "Postcard", "Tide clock"
    return campaign, plain, shipped


@pytest.fixture
def gw(app):
    return current_gateway()


def _activate(pledge, backer, gw, card="4242424242424242"):
    intent = services.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, card)
    return services.confirm_card(pledge, gw, actor=backer)


def _backing(live, gw, amount="30"):
    campaign, plain, _ = live
    backer = make_user(name="Grace Hopper")
    pledge = services.start_pledge(backer, campaign, plain, usd(amount), None)
    _activate(pledge, backer, gw)
    return pledge, backer


def _mail(session, kind: str) -> list[OutboxMessage]:
    session.flush()
    return session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                           .order_by(OutboxMessage.id)).all()


def test_a_changed_amount_is_confirmed_once_with_before_and_after(session, live, gw):
    pledge, backer = _backing(live, gw)
    services.change_pledge(pledge, backer, live[1], usd(50), None)
    [message] = _mail(session, "pledge_changed")
    assert message.recipient_id == backer.id
    assert message.subject == f"Your pledge to {live[0].title} is changed"
    assert f"{usd(30).format()} → {usd(50).format()}" in message.text_body
    assert "Reward" not in message.text_body.split("→")[0]  # only the amount changed
    services.change_pledge(pledge, backer, live[1], usd(60), None)  # a second change
    assert len(_mail(session, "pledge_changed")) == 2


def test_a_changed_reward_and_destination_say_both(session, live, gw):
    pledge, backer = _backing(live, gw)
    services.change_pledge(pledge, backer, live[2], usd(70), "US")
    [message] = _mail(session, "pledge_changed")
    text = message.text_body
    assert f"{live[1].title} → {live[2].title}" in text
    assert "None → United States" in text
    assert f"{usd(0).format()} → {usd(15).format()}" in text  # shipping


def test_changed_add_ons_are_listed(session, live, gw):
    pledge, backer = _backing(live, gw)
    pin = make_add_on(live[0], name="Enamel pin", price_minor=500)
    services.change_pledge(pledge, backer, live[1], usd(40), None, extras=[(pin, 2)])
    [message] = _mail(session, "pledge_changed")
    assert f"None → 2 × Enamel pin ({usd(10).format()})" in message.text_body


def test_the_same_terms_again_change_nothing_and_send_nothing(session, live, gw):
    pledge, backer = _backing(live, gw)
    services.change_pledge(pledge, backer, live[1], usd(30), None)
    assert _mail(session, "pledge_changed") == []


def test_a_refused_change_sends_nothing(session, live, gw):
    pledge, backer = _backing(live, gw, amount="1000")
    campaign = live[0]
    campaign.deadline = utcnow() + timedelta(hours=2)  # the last day, at the goal exactly
    with pytest.raises(services.LastDayRule, match="below its goal"):
        services.change_pledge(pledge, backer, live[1], usd(500), None)
    assert _mail(session, "pledge_changed") == []


def test_a_change_rolled_back_sends_nothing(session, live, gw):
    pledge, backer = _backing(live, gw)
    session.flush()
    nested = session.begin_nested()
    services.change_pledge(pledge, backer, live[1], usd(50), None)
    assert len(_mail(session, "pledge_changed")) == 1
    nested.rollback()
    assert _mail(session, "pledge_changed") == []


def test_a_replaced_card_is_confirmed_once(session, live, gw):
    pledge, backer = _backing(live, gw)
    assert _mail(session, "card_replaced") == []  # the first card: pledge_confirmed
    _activate(pledge, backer, gw, card="5555555555554444")
    [message] = _mail(session, "card_replaced")
    assert message.recipient_id == backer.id
    assert "Visa ending 4242 → Visa ending 4444" in message.text_body
    assert services.confirm_card(pledge, gw, actor=backer) is False  # the webhook, again
    assert len(_mail(session, "card_replaced")) == 1


def test_a_cancelled_pledge_is_confirmed_once(session, live, gw):
    pledge, backer = _backing(live, gw)
    services.cancel_pledge(pledge, backer)
    with pytest.raises(DomainError, match="already closed"):
        services.cancel_pledge(pledge, backer)
    [message] = _mail(session, "pledge_cancelled")
    assert message.recipient_id == backer.id
    assert message.subject == f"Your pledge to {live[0].title} is cancelled"
    assert f"You cancelled your pledge of {usd(30).format()}" in message.text_body


def test_a_refused_cancellation_sends_nothing(session, live, gw):
    pledge, backer = _backing(live, gw, amount="1000")
    live[0].deadline = utcnow() + timedelta(hours=2)
    with pytest.raises(services.LastDayRule, match="below its goal"):
        services.cancel_pledge(pledge, backer)
    assert _mail(session, "pledge_cancelled") == []


def test_an_investment_cancelled_before_the_cut_off_is_confirmed(session):
    campaign = live_offering()
    person = investor()
    pledge = investing.start_investment(person, campaign, usd(500))
    cutoff = campaign.deadline - timedelta(hours=48)
    with pytest.raises(DomainError, match="commitment stands"):
        services.cancel_pledge(pledge, person, now=cutoff)
    assert _mail(session, "pledge_cancelled") == []
    services.cancel_pledge(pledge, person, now=cutoff - timedelta(seconds=1))
    [message] = _mail(session, "pledge_cancelled")
    assert message.recipient_id == person.id
    assert message.subject == f"Your investment in {campaign.title} is cancelled"
    assert "pledge" not in message.text_body.lower()


def test_an_investment_revoked_in_the_reflection_period_says_so(session):
    campaign = live_offering()
    person = investor()
    now = utcnow()
    campaign.deadline = now + timedelta(days=1)  # inside the 48-hour cut-off already
    pledge = investing.start_investment(person, campaign, usd(500), now=now)
    pledge.revocable_until = now + timedelta(days=4)  # an EU investor's reflection period
    services.cancel_pledge(pledge, person, now=now + timedelta(hours=30))
    [message] = _mail(session, "pledge_cancelled")
    assert message.subject == f"Your investment in {campaign.title} is revoked"
    assert "within your reflection period" in message.text_body


def test_a_reconfirmed_investment_states_its_new_amount_and_shares(session):
    campaign = live_offering()
    now = utcnow()
    campaign.deadline = now + timedelta(days=30)
    person = investor()
    pledge = investing.start_investment(person, campaign, usd(500), now=now)
    change = changes.propose(campaign, campaign.founder,
                             terms_of(offering_of(campaign), price_per_share=usd("1.50")),
                             "New price after the bridge round.", now=now)
    changes.decide(change, make_user(operator=True), material=True, now=now)
    changes.reconfirm(pledge, person, now=now + timedelta(hours=1))
    [message] = _mail(session, "investment_reconfirmed")
    assert message.recipient_id == person.id
    assert f"{usd('499.20').format()} → {usd('498.00').format()}" in message.text_body
    assert "384 → 332" in message.text_body
    with pytest.raises(DomainError, match="nothing to reconfirm"):
        changes.reconfirm(pledge, person, now=now + timedelta(hours=2))
    assert len(_mail(session, "investment_reconfirmed")) == 1


def test_a_stopped_campaign_tells_its_active_backers_their_pledge_is_released(session, live,
                                                                              gw):
    pledge, backer = _backing(live, gw)
    services.start_pledge(make_user(), live[0], None, usd(10), None)  # pending: never told
    assert campaigns.cancel(live[0], live[0].founder, "Our supplier went bust") == 2
    [message] = _mail(session, "pledge_released")
    assert message.recipient_id == backer.id
    assert message.subject == f"Your pledge to {live[0].title} is released"
    assert "was cancelled by its founder" in message.text_body


def test_a_suspended_campaign_says_our_team_stopped_it(session, live, gw):
    _pledge, backer = _backing(live, gw)
    campaigns.suspend(live[0], make_user(operator=True), "Counterfeit goods")
    [message] = _mail(session, "pledge_released")
    assert message.recipient_id == backer.id
    assert "was stopped by our team" in message.text_body


def test_a_funded_campaign_cancelled_tells_the_unpaid_backer_once(app, session, funded):
    campaign_id, (_first, _second, errored) = funded
    refunds.cancel_funded(session.get(Campaign, campaign_id), make_user(operator=True),
                          "The founder cannot deliver")
    [message] = _mail(session, "pledge_dropped")
    assert message.recipient_id == pledge_of(errored).backer_id
    assert "had not been paid yet" in message.text_body
    assert "7 days" not in message.text_body  # not the collection window's words
