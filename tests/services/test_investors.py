"""Investor profiles, the education step, and limits over a sliding 12-month window
across offerings."""

from datetime import timedelta
from decimal import Decimal

import pytest

from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity import investors
from crowdfund.errors import DomainError
from crowdfund.money import Money
from crowdfund.pledges.models import PledgeStatus
from tests.factories import make_campaign, make_pledge, make_user

RIGHT = {name: right for name, _q, right in investors.QUIZ}


def usd(major):
    return Money.from_decimal(str(major), "USD")


def profile(user, income="40000", worth="30000", jurisdiction="US", elsewhere="0",
            accredited=False):
    return investors.save_profile(user, investors.ProfileInput(
        jurisdiction, Decimal(income), Decimal(worth), accredited, Decimal(elsewhere)))


def offering(session):
    return make_campaign(kind=CampaignKind.EQUITY, status=CampaignStatus.LIVE, tiers=0)


def test_limit_counts_commitments_across_offerings_and_elsewhere(session):
    investor = make_user()
    profile(investor, elsewhere="400")
    first, second = offering(session), offering(session)
    make_pledge(first, investor, amount_minor=1_000_00)
    make_pledge(second, investor, amount_minor=500_00)
    make_pledge(second, investor, amount_minor=9_000_00, status=PledgeStatus.CANCELLED)
    make_pledge(make_campaign(status=CampaignStatus.LIVE), investor, amount_minor=9_000_00)
    limit = investors.limit_of(investor)
    assert limit.annual_limit == usd(2_500)
    assert limit.committed == usd(1_900)  # 1,000 + 500 here, 400 elsewhere; rewards not
    assert limit.explain().endswith("you can invest up to $600.00.")


def test_the_window_slides(session):
    investor = make_user()
    profile(investor)
    pledge = make_pledge(offering(session), investor, amount_minor=2_000_00)
    now = utcnow()
    pledge.created_at = now - timedelta(days=364)
    session.flush()
    assert investors.limit_of(investor, now).available == usd(500)
    assert investors.limit_of(investor, now + timedelta(days=1, seconds=1)).available == \
        usd(2_500)


def test_uk_investors_use_the_uk_rules_in_pounds(session):
    investor = make_user()
    saved = profile(investor, income="90000", worth="45000", jurisdiction="GB")
    assert saved.currency == "GBP"
    limit = investors.limit_of(investor)
    assert limit.annual_limit == Money.from_decimal("4500", "GBP")
    assert limit.rules.code == "UK-COBS"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"income": "-1"}, "annual_income", "Cannot be negative"),
    ({"worth": "10.001"}, "net_worth", "USD amounts take at most 2 decimal places"),
    ({"jurisdiction": "USA"}, "jurisdiction", "Choose the country you live in")])
def test_bad_declarations(session, changes, field, message):
    with pytest.raises(DomainError, match=message) as caught:
        profile(make_user(), **changes)
    assert caught.value.field == field


def test_education_needs_right_answers_and_the_acknowledgement(session):
    investor = make_user()
    with pytest.raises(DomainError, match="first"):
        investors.acknowledge(investor, RIGHT, True)
    profile(investor)
    with pytest.raises(investors.WrongAnswers, match="2 answers are not right") as caught:
        investors.acknowledge(investor, {**RIGHT, "lose_all": "no", "easy_to_sell": "yes"},
                              True)
    assert caught.value.fields == ["lose_all", "easy_to_sell"]  # every wrong one, in order
    with pytest.raises(DomainError, match="risks"):
        investors.acknowledge(investor, RIGHT, False)
    assert not investors.profile_of(investor).educated
    when = utcnow()
    saved = investors.acknowledge(investor, RIGHT, True, now=when)
    assert saved.educated and saved.education_version == investors.EDUCATION_VERSION
    assert saved.acknowledged_at == when
