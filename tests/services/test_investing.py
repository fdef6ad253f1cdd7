"""Investing: whole shares, the minimum, the investor's limit, and the 48-hour
cancellation boundary."""

from datetime import timedelta

import pytest

from crowdfund.equity import investing, investors
from crowdfund.equity.models import SecurityType
from crowdfund.errors import DomainError
from crowdfund.money import Money
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import PledgeStatus
from tests.factories import investor, live_offering, make_user

RIGHT = {name: right for name, _q, right in investors.QUIZ}


def usd(major):
    return Money.from_decimal(str(major), "USD")


def test_stock_buys_whole_shares_rounded_down(session):
    campaign = live_offering()
    quote = investing.quote_investment(campaign_offering(campaign), usd(1000))
    assert (quote.shares, quote.amount, quote.unused) == (769, usd("999.70"), usd("0.30"))
    pledge = investing.start_investment(investor(), campaign, usd(1000))
    assert pledge.status is PledgeStatus.PENDING
    assert (pledge.shares, pledge.amount) == (769, usd("999.70"))


def campaign_offering(campaign):
    from crowdfund.equity.services import offering_of

    return offering_of(campaign)


def test_safe_takes_the_amount(session):
    campaign = live_offering(SecurityType.SAFE)
    pledge = investing.start_investment(investor(), campaign, usd("250.55"))
    assert pledge.shares is None and pledge.amount == usd("250.55")


@pytest.mark.parametrize(("typed", "message"), [
    ("1.29", r"One share costs \$1.30"), ("99", r"minimum investment is \$100.00"),
    ("2600", r"Your limit for the next 12 months is \$2,500.00")])
def test_refusals(session, typed, message):
    campaign = live_offering()
    with pytest.raises(DomainError, match=message):
        investing.start_investment(investor(), campaign, usd(typed))


def test_profile_and_education_come_first(session):
    campaign = live_offering()
    needs = "Before your first investment, complete your investor profile and the short " \
            "education step"
    with pytest.raises(investing.NeedsProfile, match=needs):
        investing.start_investment(make_user(), campaign, usd(500))
    with pytest.raises(investing.NeedsProfile, match=needs):
        investing.start_investment(investor(educated=False), campaign, usd(500))


def test_limits_across_two_offerings(session):
    person = investor()
    first, second = live_offering(), live_offering(SecurityType.SAFE)
    first_pledge = investing.start_investment(person, first, usd(2000))  # 1538 shares
    assert first_pledge.amount == usd("1999.40")
    with pytest.raises(DomainError, match=r"you can invest up to \$500.60"):
        investing.start_investment(person, second, usd(600))
    assert investing.start_investment(person, second, usd("500.60")).amount == usd("500.60")


def test_reward_pledges_are_not_taken_on_offerings(session):
    with pytest.raises(DomainError, match="invest from its page"):
        pledges.start_pledge(make_user(), live_offering(), None, usd(100), None)


def test_cancel_until_48_hours_before_the_deadline(session):
    campaign = live_offering()
    person = investor()
    pledge = investing.start_investment(person, campaign, usd(500))
    cutoff = campaign.deadline - timedelta(hours=48)
    with pytest.raises(DomainError, match="commitment stands"):
        pledges.cancel_pledge(pledge, person, now=cutoff)
    with pytest.raises(DomainError, match="commitment stands"):
        pledges.cancel_pledge(pledge, person, now=cutoff + timedelta(seconds=1))
    pledges.cancel_pledge(pledge, person, now=cutoff - timedelta(seconds=1))
    assert pledge.status is PledgeStatus.CANCELLED


def test_investments_cannot_be_changed(session):
    campaign = live_offering()
    person = investor()
    pledge = investing.start_investment(person, campaign, usd(500))
    with pytest.raises(DomainError, match="cancel it and invest again"):
        pledges.change_pledge(pledge, person, None, usd(600), None)
