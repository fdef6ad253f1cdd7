"""Investing by jurisdiction through the services and pages: no fallback (a country without
rules is refused before any amount is typed), limits across currencies with dated exchange
rates (the rate used stored with each commitment, a missing one refusing), and China's
rules: real name, qualified investors, at most 200 investors (docs/investor-rules.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import IdentityVerification, VerificationStatus
from crowdfund.db import utcnow
from crowdfund.equity import investing, investors
from crowdfund.equity.models import InvestorProfile
from crowdfund.equity.rate_loading import RateRow, load
from crowdfund.equity.rates import MissingRate
from crowdfund.equity.services import offering_of
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import QUIZ_ANSWERS, investor, live_offering, make_pledge, make_user


def _rate(base: str, quote: str, value: str, days_ago: int = 0) -> None:
    day = (utcnow() - timedelta(days=days_ago)).date().isoformat()
    load([RateRow(None, day, base, quote, value)], None, "ECB reference rate")


def _verified(user, country: str) -> None:
    db.session.add(IdentityVerification(user_id=user.id, status=VerificationStatus.VERIFIED,
                                        legal_name=user.display_name, country=country))
    db.session.flush()
    db.session.expire(user, ["verification"])


def test_a_country_without_rules_is_refused_next_to_the_field(session):
    person = make_user()
    with pytest.raises(DomainError, match="not yet open to residents of Japan") as refused:
        investors.save_profile(person, investors.ProfileInput(
            "JP", Decimal(50_000), Decimal(20_000), False, Decimal(0)))
    assert refused.value.field == "jurisdiction"


def test_the_profile_page_refuses_it_with_a_400(client, auth, session):
    auth.login_as(make_user())
    response = client.post("/invest/profile", data={
        "jurisdiction": "CH", "annual_income": "50000", "net_worth": "20000"})
    assert response.status_code == 400
    assert "not yet open to residents of Switzerland" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(InvestorProfile)) == 0


def test_an_offering_page_says_so_before_any_amount_is_typed(client, auth, session):
    """A profile from before the rules (Brazil, once given the US rules) now reads: not
    open, and the page offers no Invest button."""
    campaign = live_offering()
    person = investor()
    profile = investors.profile_of(person)
    profile.jurisdiction = "BR"
    session.commit()
    auth.login_as(person)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Investing is not yet open to residents of Brazil" in page
    assert f'href="/invest/{campaign.slug}"' not in page
    refused = client.get(f"/invest/{campaign.slug}", follow_redirects=True)
    assert "not yet open to residents of Brazil" in refused.get_data(as_text=True)
    with pytest.raises(DomainError, match="not yet open to residents of Brazil"):
        investing.start_investment(person, campaign, Money(130_00, "USD"))


def test_a_us_investor_sees_the_rules_and_the_limit_before_typing(client, auth, session):
    campaign = live_offering()
    person = investor(income="60000", worth="30000")
    session.commit()
    auth.login_as(person)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "You invest under US Regulation Crowdfunding." in page
    assert "you can invest up to $3,000.00" in page
    overview = client.get("/invest/").get_data(as_text=True)
    assert "How your limit is worked out" in overview and "17 CFR 227.100(a)(2)" in overview


def test_a_uk_investor_invests_in_dollars_counted_in_pounds_at_the_rate_of_the_day(session):
    campaign = live_offering()
    person = investor(income="90000", worth="45000", country="GB")  # limit GBP 4,500
    _rate("GBP", "USD", "1.25", days_ago=1)
    pledge = investing.start_investment(person, campaign, Money(1_300_00, "USD"))
    assert (pledge.limit_currency, pledge.limit_rate) == ("GBP", "1/1.25")  # GBP->USD, inverted
    assert pledge.limit_amount_minor == 1_040_00
    limit = investors.limit_of(person)
    assert limit.committed == Money(1_040_00, "GBP")
    assert limit.available == Money(3_460_00, "GBP")
    # 3,460 pounds is 4,325 dollars: 4,326 is over, and the refusal offers what fits.
    other = live_offering(price="1.00", minimum="1")
    with pytest.raises(investing.OverLimit, match="more than you can invest now") as over:
        investing.start_investment(person, other, Money(4_326_00, "USD"))
    assert over.value.available == Money(4_325_00, "USD")


def test_a_commitment_in_another_currency_never_counts_as_nothing(session):
    campaign = live_offering()
    person = investor(income="90000", worth="45000", country="GB")
    pledge = make_pledge(campaign, person, amount_minor=1_000_00)  # USD, from before: no rate
    pledge.status = PledgeStatus.ACTIVE
    session.flush()
    with pytest.raises(MissingRate, match="no exchange rate from USD to GBP"):
        investors.limit_of(person)
    _rate("USD", "GBP", "0.79")
    assert investors.limit_of(person).committed == Money(790_00, "GBP")


def test_an_old_rate_is_missing(client, auth, session):
    campaign = live_offering()
    person = investor(income="90000", worth="45000", country="GB")
    _rate("GBP", "USD", "1.25", days_ago=30)
    session.commit()
    auth.login_as(person)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "The latest exchange rate from USD to GBP" in page
    assert f'href="/invest/{campaign.slug}"' not in page


# --- China ---------------------------------------------------------------------------

def _chinese_investor(income="100000", assets="500000", verified=True):
    person = investor(income=income, worth="800000", country="CN", assets=assets)
    if verified:
        _verified(person, "CN")
    return person


def _cny_offering(issuer="CN"):
    campaign = live_offering(price="10.00", minimum="100")
    campaign.currency = "CNY"
    offering = offering_of(campaign)
    offering.issuer_jurisdiction = issuer
    offering.maximum_minor = 10_000_000_00  # CNY 10 million
    offering.minimum_investment_minor, offering.price_per_share_minor = 100_00, 10_00
    db.session.flush()
    return campaign


def test_china_real_name_first(session):
    campaign = _cny_offering()
    person = _chinese_investor(verified=False)
    with pytest.raises(investing.NotVerified, match="invest under your real name"):
        investing.start_investment(person, campaign, Money(1_000_000_00, "CNY"))


def test_china_an_unqualified_investor_is_refused_a_qualified_accepted(session):
    campaign = _cny_offering()
    small = _chinese_investor()
    with pytest.raises(investing.OverLimit, match="not a qualified investor by assets or "
                                                  "income may invest in one offering"):
        investing.start_investment(small, campaign, Money(500_000_00, "CNY"))
    # One investment of CNY 1,000,000 in the single project makes them qualified for it.
    assert investing.start_investment(small, campaign, Money(1_000_000_00, "CNY")).id
    rich = _chinese_investor(assets="3000000")
    assert investing.start_investment(rich, campaign, Money(1_000_00, "CNY")).id


def test_china_the_201st_investor_is_refused(session):
    campaign = _cny_offering()
    for _ in range(200):
        make_pledge(campaign, make_user(), amount_minor=1_000_00).status = PledgeStatus.ACTIVE
    session.flush()
    person = _chinese_investor(assets="3000000")
    with pytest.raises(investing.InvestorCapReached, match="has its 200 investors"):
        investing.start_investment(person, campaign, Money(1_000_00, "CNY"))
    # One leaves: a place is free again.
    db.session.scalars(sa.select(Pledge).where(Pledge.campaign_id == campaign.id)).first() \
        .status = PledgeStatus.CANCELLED
    assert investing.start_investment(person, campaign, Money(1_000_00, "CNY")).id


def test_the_verified_residence_decides(session):
    person = investor(income="60000", worth="30000")  # declared US
    _verified(person, "CN")
    with pytest.raises(DomainError, match="verified identity says you live in China"):
        investors.save_profile(person, investors.ProfileInput(
            "US", Decimal(1), Decimal(1), False, Decimal(0)))
    with pytest.raises(DomainError, match="not in the currency of your country's rules"):
        investors.limit_of(person)
    investors.save_profile(person, investors.ProfileInput(
        "CN", Decimal(600_000), Decimal(1), False, Decimal(0), Decimal(0)))
    investors.acknowledge(person, QUIZ_ANSWERS, True)
    assert investors.limit_of(person).rules.code == "CN-2014"
