"""The UK's protections before investing (FCA COBS 4.12A and COBS 10, as amended by
PS22/10; docs/investor-rules.md): the category declared with its statement (a restricted
investor held to 10% of net assets, a high-net-worth one not limited, a statement older
than 12 months refused), the appropriateness assessment (a failed attempt recorded, a retry
only 24 hours later, then a pass), and the 24-hour cooling-off of a first-time investor.
Each refusal is named; ``now`` is passed explicitly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crowdfund.db import utcnow
from crowdfund.equity import highrisk, investing, investors, protections
from crowdfund.equity.models import InvestorCategory
from crowdfund.equity.rulesets import RULE_SETS
from crowdfund.equity.services import offering_of
from crowdfund.equity.standing import standing_of
from crowdfund.extensions import db
from crowdfund.filters import datetime_filter
from crowdfund.money import Money
from tests.factories import (
    ASSESSMENT_ANSWERS,
    QUIZ_ANSWERS,
    investor,
    live_offering,
    make_user,
)

UK = RULE_SETS["UK-COBS"]
C = InvestorCategory


def gbp(major) -> Money:
    return Money.from_decimal(str(major), "GBP")


def _gbp_offering():
    """A live offering in pounds: no exchange rate in the way."""
    campaign = live_offering(price="1.00", minimum="10")
    campaign.currency = "GBP"
    offering_of(campaign).issuer_jurisdiction = "GB"
    db.session.flush()
    return campaign


def _briton(income="90000", worth="45000", educated=True):
    """A UK resident with a profile and the education step, nothing of the UK's own yet."""
    person = make_user()
    investors.save_profile(person, investors.ProfileInput(
        "GB", Decimal(income), Decimal(worth), False, Decimal(0)))
    if educated:
        investors.acknowledge(person, QUIZ_ANSWERS, True)
    return person


WRONG = {**ASSESSMENT_ANSWERS, "protection": "compensation", "dividends": "every_year"}


# --- categories and their statements ---------------------------------------------------

def test_a_restricted_investor_is_held_to_ten_percent_of_net_assets(session):
    campaign = _gbp_offering()
    person = investor(income="90000", worth="45000", country="GB",
                      category=C.RESTRICTED)
    limit = investors.limit_of(person)
    assert (limit.annual_limit, limit.available) == (gbp(4_500), gbp(4_500))
    with pytest.raises(investing.OverLimit, match="Your limit for the next 12 months is "
                                                  "£4,500.00"):
        investing.start_investment(person, campaign, gbp(4_501))
    assert investing.start_investment(person, campaign, gbp(4_500)).id


def test_a_high_net_worth_investor_is_not_limited(session):
    campaign = _gbp_offering()
    person = investor(income="150000", worth="45000", country="GB",
                      category=C.HIGH_NET_WORTH)
    assert investors.limit_of(person).annual_limit is None
    assert investing.start_investment(person, campaign, gbp(40_000)).id  # ~89% of net assets


def test_the_profile_box_alone_does_not_lift_a_uk_limit(session):
    """Ticking "accredited" is the US's; a UK resident's category decides."""
    person = _briton()
    investors.save_profile(person, investors.ProfileInput(
        "GB", Decimal(90_000), Decimal(45_000), True, Decimal(0)))
    assert investors.limit_of(person).annual_limit == gbp(4_500)


def test_a_high_net_worth_statement_needs_the_income_or_the_assets(session):
    """PS22/10: income of GBP 100,000 or net assets of GBP 250,000 in the last year."""
    person = _briton(income="99999.99", worth="249999.99")
    with pytest.raises(protections.CategoryNotMet, match="income of £100,000.00 or more, or "
                                                         "net assets of £250,000.00") as no:
        protections.categorise(person, "high_net_worth", True)
    assert no.value.field == "category"
    assert investors.profile_of(person).category is None
    rich = _briton(income="0", worth="250000")
    assert protections.categorise(rich, "high_net_worth", True).category is C.HIGH_NET_WORTH


@pytest.mark.parametrize(("category", "confirmed", "field", "message"), [
    ("professional", True, "category", "Choose your category of investor"),
    ("restricted", False, "confirm", "Confirm the statement of the category you chose"),
])
def test_a_category_needs_a_known_one_and_its_statement(session, category, confirmed, field,
                                                        message):
    person = _briton()
    with pytest.raises(protections.DomainError, match=message) as refused:
        protections.categorise(person, category, confirmed)
    assert refused.value.field == field


def test_no_category_no_investment(session):
    campaign = _gbp_offering()
    person = _briton()
    with pytest.raises(protections.NeedsCategory, match="choose your category of investor"):
        investing.start_investment(person, campaign, gbp(100))


def test_a_statement_older_than_12_months_is_made_again(session):
    campaign = _gbp_offering()
    made = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    person = _briton(income="150000", worth="45000")
    protections.categorise(person, "high_net_worth", True, made)
    protections.assess(person, ASSESSMENT_ANSWERS, made)
    lapses = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
    assert highrisk.lapses_at(made, UK) == lapses
    campaign.deadline = lapses + timedelta(days=30)  # still open then
    before = investing.check_investor(person, investing.InvestmentQuote(
        gbp(10_000), gbp(10_000), 10_000), lapses - timedelta(seconds=1))
    assert before.amount == gbp(10_000)  # not limited while the statement stands
    with pytest.raises(protections.CategoryLapsed, match="made on Jan 15, 2026, is more than "
                                                         "12 months old"):
        investing.start_investment(person, campaign, gbp(100), lapses)
    # Lapsed, the high-net-worth category no longer lifts the limit.
    assert investors.limit_of(person, lapses).annual_limit == gbp(4_500)
    protections.categorise(person, "high_net_worth", True, lapses)
    assert investing.start_investment(person, campaign, gbp(10_000), lapses).id


def test_a_statement_made_on_29_february_lapses_on_28_february():
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert highrisk.lapses_at(leap, UK) == datetime(2029, 2, 28, 12, 0, tzinfo=UTC)


def test_us_investors_are_asked_for_none_of_this(session):
    campaign = live_offering()
    person = investor(income="60000", worth="30000")  # US
    assert protections.missing_step(person) is None
    assert investing.start_investment(person, campaign, Money(1_300_00, "USD")).id
    rich = investor(accredited=True)
    assert investors.limit_of(rich).annual_limit is None  # US accredited: unchanged


# --- the appropriateness assessment -----------------------------------------------------

def test_a_failed_attempt_is_recorded_and_a_retry_waits_24_hours(session):
    person = _briton()
    protections.categorise(person, "restricted", True)
    start = utcnow()
    with pytest.raises(protections.AssessmentFailed, match="2 answers are not right, so you "
                                                           "did not pass") as failed:
        protections.assess(person, WRONG, start)
    profile = investors.profile_of(person)
    assert (profile.assessment_failed_at, profile.assessment_failures) == (start, 1)
    assert failed.value.retry_at == start + timedelta(hours=24)
    assert datetime_filter(start + timedelta(hours=24)) in failed.value.message
    # Within the wait nothing is graded, not even right answers.
    with pytest.raises(protections.AssessmentTooSoon, match="You can take the assessment "
                                                            "again from"):
        protections.assess(person, ASSESSMENT_ANSWERS, start + timedelta(hours=23, minutes=59))
    assert profile.assessment_passed_at is None and profile.assessment_failures == 1
    # Until then investing is refused, saying when the assessment may be taken again.
    with pytest.raises(protections.NeedsAssessment, match="You can take it again from") as no:
        investing.check_investor(person, investing.InvestmentQuote(gbp(100), gbp(100), 100),
                                 start + timedelta(hours=1))
    assert no.value.wait_until == start + timedelta(hours=24)
    passed_at = start + timedelta(hours=24)
    protections.assess(person, ASSESSMENT_ANSWERS, passed_at)
    assert profile.assessment_passed_at == passed_at
    assert profile.assessment_version == highrisk.ASSESSMENT_VERSION


def test_no_assessment_no_investment(session):
    campaign = _gbp_offering()
    person = _briton()
    protections.categorise(person, "restricted", True)
    with pytest.raises(protections.NeedsAssessment, match="first pass a short assessment"):
        investing.start_investment(person, campaign, gbp(100))


def test_the_answer_keys_are_checked_not_the_words(app):
    with app.test_request_context():
        for question in highrisk.QUESTIONS:
            keys = [key for key, _words in question.choices]
            assert question.right in keys and len(keys) >= 3  # multiple choice, not yes/no
    assert highrisk.wrong_answers(ASSESSMENT_ANSWERS) == []
    assert highrisk.wrong_answers({**ASSESSMENT_ANSWERS, "company_fails": "You lose all of "
                                                                          "it."}) \
        == ["company_fails"]


# --- the cooling-off of a first-time investor ------------------------------------------

def test_a_first_time_investor_waits_24_hours_after_the_last_step(session):
    campaign = _gbp_offering()
    person = _briton()
    categorised = utcnow()
    protections.categorise(person, "restricted", True, categorised)
    assert investors.profile_of(person).cooling_off_from is None  # the assessment is missing
    done = categorised + timedelta(minutes=10)
    protections.assess(person, ASSESSMENT_ANSWERS, done)
    assert investors.profile_of(person).cooling_off_from == done
    until = done + timedelta(hours=24)
    with pytest.raises(protections.CoolingOff, match="As a first-time investor you can invest "
                                                     "from") as waiting:
        investing.start_investment(person, campaign, gbp(100), until - timedelta(seconds=1))
    assert datetime_filter(until) in waiting.value.message
    assert waiting.value.wait_until == until
    assert investing.start_investment(person, campaign, gbp(100), until).id


def test_the_cooling_off_is_for_first_time_investors_only(session):
    campaign, other = _gbp_offering(), _gbp_offering()
    person = investor(income="90000", worth="45000", country="GB")  # done two days ago
    investing.start_investment(person, campaign, gbp(100))
    profile = investors.profile_of(person)
    profile.cooling_off_from = utcnow()  # as if it had just started: they invested already
    assert protections.cooling_off_until(person, profile, UK) is None
    assert investing.start_investment(person, other, gbp(100)).id


# --- said before any amount -------------------------------------------------------------

def test_the_offering_page_says_each_before_any_amount(app, session):
    campaign = _gbp_offering()
    offering = offering_of(campaign)
    person = _briton()
    now = utcnow()
    with app.test_request_context():
        said = standing_of(person, offering, now)
        assert "first choose your category of investor" in said.message
        assert said.next_step[1] == "equity.categorisation"
        protections.categorise(person, "restricted", True, now)
        said = standing_of(person, offering, now)
        assert "first pass a short assessment" in said.message
        with pytest.raises(protections.AssessmentFailed, match="2 answers are not right"):
            protections.assess(person, WRONG, now)
        said = standing_of(person, offering, now)
        assert not said.may_invest and said.wait_until == now + timedelta(hours=24)
        assert "You can take it again from" in said.message
        later = now + timedelta(hours=24)
        protections.assess(person, ASSESSMENT_ANSWERS, later)
        said = standing_of(person, offering, later + timedelta(hours=1))
        assert not said.may_invest and said.wait_until == later + timedelta(hours=24)
        assert datetime_filter(later + timedelta(hours=24)) in said.message
        said = standing_of(person, offering, later + timedelta(hours=24))
        assert said.may_invest and "you can invest up to £4,500.00" in said.message
        lapsed = now + timedelta(days=366)
        campaign.deadline = lapsed + timedelta(days=1)
        said = standing_of(person, offering, lapsed)
        assert "is more than 12 months old" in said.message
        assert said.next_step == ("Make your statement again", "equity.categorisation")
