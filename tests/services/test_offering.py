"""Offering terms of equity campaigns: every bad input gets its own error and writes
nothing; terms lock at review; the financial review level follows the maximum."""

from datetime import date

import pytest
import sqlalchemy as sa

from crowdfund.campaigns import services as campaigns
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.equity.models import AllocationPolicy, Offering, SecurityType
from crowdfund.equity.services import OfferingInput, financial_review_level, save_terms
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.money import Money
from tests.factories import make_campaign, make_user

TODAY = date(2026, 11, 22)


def usd(major):
    return Money.from_decimal(str(major), "USD")


def stock(**changes):
    values = dict(issuer_legal_name="Tidewater Instruments Inc.", issuer_jurisdiction="us",
                  incorporated_on=date(2021, 3, 1), security=SecurityType.COMMON_STOCK,
                  maximum=usd(250_000), minimum_investment=usd(100),
                  allocation=AllocationPolicy.PRO_RATA,
                  use_of_proceeds_md="Tooling, first production run and two hires.",
                  price_per_share=usd("1.25"), pre_money_valuation=usd(4_000_000))
    values.update(changes)
    return OfferingInput(**values)


@pytest.fixture
def equity(session):
    return make_campaign(kind=CampaignKind.EQUITY, goal_minor=100_000_00, tiers=0)


def test_stock_terms_are_saved_and_replaced(session, equity):
    offering = save_terms(equity, equity.founder, stock(), today=TODAY)
    assert offering.issuer_jurisdiction == "US" and offering.target == usd(100_000)
    assert offering.shares_offered == 200_000  # 250,000 / 1.25
    save_terms(equity, equity.founder, stock(security=SecurityType.SAFE,
                                             valuation_cap=usd(6_000_000), discount_bps=2000),
               today=TODAY)
    session.flush()
    [saved] = session.scalars(sa.select(Offering)).all()
    assert saved.security is SecurityType.SAFE and saved.discount_bps == 2000
    assert saved.price_per_share_minor is None and saved.pre_money_valuation_minor is None


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"maximum": usd(99_999)}, "maximum", "cannot be below the target"),
    ({"maximum": usd(5_000_001)}, "maximum", r"at most \$5,000,000.00"),
    ({"minimum_investment": usd(300_000)}, "minimum_investment", "above the maximum"),
    ({"price_per_share": usd(0)}, "price_per_share", "more than zero"),
    ({"price_per_share": Money(-125, "USD")}, "price_per_share", "more than zero"),
    ({"price_per_share": None}, "price_per_share", "price of one share"),
    ({"pre_money_valuation": None}, "pre_money_valuation", "valuation before"),
    ({"minimum_investment": usd(1), "price_per_share": usd(2)}, "minimum_investment",
     "at least one share"),
    ({"incorporated_on": date(2027, 1, 1)}, "incorporated_on", "future"),
    ({"security": SecurityType.SAFE}, "valuation_cap", "cap, a discount or both"),
    ({"security": SecurityType.CONVERTIBLE_NOTE, "discount_bps": 1500}, "interest_rate",
     "interest rate"),
    ({"security": SecurityType.CONVERTIBLE_NOTE, "discount_bps": 1500, "interest_rate_bps": 500,
      "maturity_on": TODAY}, "maturity_on", "future"),
    ({"maximum": Money(250_000_00, "EUR")}, "maximum", "in USD"),
])
def test_bad_terms_are_refused_with_their_field(session, equity, changes, field, message):
    with pytest.raises(DomainError, match=message) as caught:
        save_terms(equity, equity.founder, stock(**changes), today=TODAY)
    assert caught.value.field == field
    assert session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


def test_only_the_founder_of_an_editable_equity_campaign(session, equity):
    with pytest.raises(NotAllowed, match="This is not your campaign"):
        save_terms(equity, make_user(), stock(), today=TODAY)
    reward = make_campaign(tiers=0)
    with pytest.raises(DomainError, match="Only equity"):
        save_terms(reward, reward.founder, stock(), today=TODAY)
    equity.status = CampaignStatus.SUBMITTED
    with pytest.raises(DomainError, match="locked"):
        save_terms(equity, equity.founder, stock(), today=TODAY)


def test_readiness_needs_terms_and_financial_statements(session, equity):
    items = {item.label: item.done for item in campaigns.readiness(equity)}
    assert items["Offering terms"] is False and items["Financial statements"] is False
    save_terms(equity, equity.founder, stock(), today=TODAY)
    items = {item.label: item.done for item in campaigns.readiness(equity)}
    assert items["Offering terms"] is True and items["Financial statements"] is False


@pytest.mark.parametrize(("maximum", "level"), [
    (124_000, "certified"), (124_000.01, "reviewed"), (618_000, "reviewed"),
    (1_235_000, "reviewed"), (1_235_000.01, "audited"), (5_000_000, "audited")])
def test_financial_review_level_follows_the_maximum(maximum, level):
    assert financial_review_level(usd(maximum)).startswith(level)
