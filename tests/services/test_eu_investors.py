"""The EU crowdfunding regulation's protections of non-sophisticated investors
(Regulation (EU) 2020/1503, Articles 21-22; docs/investor-rules.md): the entry knowledge
test (again after two years), the loss simulation, the warning and consent above the
higher of EUR 1,000 and 5% of net worth, the 4-day reflection period during which the
investor may revoke (the offering is decided only after it, so revoked money is never
charged), and the EUR 5,000,000 cap of an EU issuer's offering."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity import eu, investing, investors, services
from crowdfund.equity.rate_loading import RateRow, load
from crowdfund.equity.services import offering_of, save_terms
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus, PledgeTransition
from crowdfund.pledges.terms import revocable
from crowdfund.settlement import services as settlement
from crowdfund.settlement.models import ChargeAttempt
from tests.factories import CARDS, investor, live_offering, pledge_of, terms_of

RIGHT = {name: key for name, _q, _o, key in eu.KNOWLEDGE_TEST}


def eur(major) -> Money:
    return Money.from_decimal(str(major), "EUR")


def _eur_offering():
    campaign = live_offering(price="1.00", minimum="10")
    campaign.currency = "EUR"
    offering = offering_of(campaign)
    offering.issuer_jurisdiction = "DE"
    db.session.flush()
    return campaign


def _european(worth="20000", *, steps=True, sophisticated=False):
    """A resident of Germany (EUR rules), the knowledge test passed and the loss seen."""
    person = investor(income="40000", worth=worth, country="DE", accredited=sophisticated)
    if steps and not sophisticated:
        profile = investors.profile_of(person)
        eu.take_knowledge_test(profile, RIGHT)
        eu.simulate_loss(profile, investors.rules_of(person, profile))
    return person


def test_the_steps_come_before_a_first_investment(session):
    campaign = _eur_offering()
    person = _european(steps=False)
    with pytest.raises(eu.NeedsEuStep, match="take the knowledge test"):
        investing.start_investment(person, campaign, eur(100))
    profile = investors.profile_of(person)
    wrong = {**RIGHT, "lose": "half", "sell": "yes"}
    assert eu.take_knowledge_test(profile, wrong) == eu.KnowledgeResult(3, False)
    eu.simulate_loss(profile, investors.rules_of(person, profile))
    assert eu.next_step(profile) == "equity.eu_knowledge"  # too little knowledge: told
    with pytest.raises(eu.NeedsEuStep, match="take the knowledge test"):
        investing.start_investment(person, campaign, eur(100))
    eu.accept_not_appropriate(profile)  # Article 21(4): they may go on, warned
    assert investing.start_investment(person, campaign, eur(100)).id


def test_the_knowledge_test_is_taken_again_after_two_years(session):
    person = _european()
    profile = investors.profile_of(person)
    now = utcnow()
    assert eu.next_step(profile, now + timedelta(days=729)) is None
    assert eu.next_step(profile, now + timedelta(days=731)) == "equity.eu_knowledge"


def test_every_question_is_answered(session):
    profile = investors.profile_of(_european(steps=False))
    with pytest.raises(DomainError, match="Answer every question") as refused:
        eu.take_knowledge_test(profile, {**RIGHT, "spread": ""})
    assert refused.value.field == "spread"


def test_above_the_warning_line_the_investor_consents_each_time(session):
    """EUR 1,200 from a person with EUR 20,000 net worth asks the warning (the line is the
    higher of EUR 1,000 and 5% of 20,000 = 1,000); EUR 1,000 does not."""
    campaign = _eur_offering()
    person = _european(worth="20000")
    with pytest.raises(eu.NeedsConsent, match="€1,200.00 is more than €1,000.00") as asked:
        investing.start_investment(person, campaign, eur(1_200))
    assert asked.value.field == "consent" and "(€2,000.00)" in asked.value.message
    pledge = investing.start_investment(person, campaign, eur(1_200), consent=True)
    assert pledge.risk_consent_at is not None
    other = _european(worth="20000")
    assert investing.start_investment(other, campaign, eur(1_000)).risk_consent_at is None


def test_a_sophisticated_investor_has_none_of_these_steps(session):
    campaign = _eur_offering()
    person = _european(sophisticated=True)
    pledge = investing.start_investment(person, campaign, eur(50_000))
    assert pledge.revocable_until is None and pledge.risk_consent_at is None


def test_revoking_within_the_reflection_period_even_after_the_cut_off(session):
    campaign = _eur_offering()
    person = _european()
    now = utcnow()
    campaign.deadline = now + timedelta(days=1)  # inside the 48-hour cut-off already
    pledge = investing.start_investment(person, campaign, eur(100), now)
    assert pledge.revocable_until == now + timedelta(days=4)
    assert revocable(pledge, now + timedelta(days=3))
    pledges.cancel_pledge(pledge, person, now + timedelta(hours=30))  # past the deadline too
    assert pledge.status is PledgeStatus.CANCELLED
    last = db.session.scalars(sa.select(PledgeTransition.reason).where(
        PledgeTransition.pledge_id == pledge.id).order_by(PledgeTransition.id.desc())).first()
    assert last == "Revoked by the investor within the reflection period"


def test_after_the_reflection_period_the_usual_rules_apply(session):
    campaign = _eur_offering()
    person = _european()
    now = utcnow()
    campaign.deadline = now + timedelta(days=5, hours=1)
    pledge = investing.start_investment(person, campaign, eur(100), now)
    with pytest.raises(DomainError, match="cancelled until 48 hours before the deadline"):
        pledges.cancel_pledge(pledge, person, now + timedelta(days=4, hours=1))


def test_an_offering_is_decided_only_once_every_reflection_period_ended(session, gw,
                                                                          settler):
    campaign = _eur_offering()
    campaign.goal_minor = 100_00
    now = utcnow()
    campaign.deadline = now + timedelta(days=1)
    kept, revoked = _european(), _european()
    ids = []
    for person in (kept, revoked):
        pledge = investing.start_investment(person, campaign, eur(100), now)
        intent = pledges.ensure_setup_intent(pledge, person, gw)
        gw.confirm_setup(intent.id, CARDS["ok"])
        pledges.confirm_card(pledge, gw)
        ids.append(pledge.id)
    campaign.deadline = utcnow() - timedelta(minutes=1)  # ended, reflection still running
    assert not settlement.decide_at_deadline(campaign)
    assert campaign.status is CampaignStatus.LIVE
    pledges.cancel_pledge(pledge_of(ids[1]), revoked)  # after the deadline: revoked
    session.execute(sa.update(Pledge).where(Pledge.id.in_(ids))  # the 4 days have passed
                    .values(revocable_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    report = settler.settle(campaign.id)
    db.session.expire_all()
    assert report.outcome == "funded: charged", report
    assert pledge_of(ids[0]).status is PledgeStatus.COLLECTED
    assert pledge_of(ids[1]).status is PledgeStatus.CANCELLED
    charged = db.session.scalars(sa.select(ChargeAttempt.pledge_id)).all()
    assert charged == [ids[0]]  # revoked money is never charged


def test_an_eu_issuer_raises_at_most_five_million_euros(session):
    """An EU issuer's maximum in dollars, converted at the day's rate: USD 5,000,000 is
    EUR 5,250,000 at 1.05 (over the cap), USD 4,760,000 is EUR 4,998,000 (under)."""
    campaign = live_offering()
    campaign.status = CampaignStatus.DRAFT
    load([RateRow(None, utcnow().date().isoformat(), "USD", "EUR", "1.05")], None, "test")
    terms = terms_of(offering_of(campaign), issuer_jurisdiction="FR",
                     maximum=Money(5_000_000_00, "USD"))
    with pytest.raises(DomainError, match="at most €5,000,000.00 over 12 months; this "
                                          "maximum is €5,250,000.00") as refused:
        save_terms(campaign, campaign.founder, terms)
    assert refused.value.field == "maximum"
    assert save_terms(campaign, campaign.founder, terms_of(
        offering_of(campaign), issuer_jurisdiction="FR", maximum=Money(4_760_000_00, "USD")))


def test_an_eu_issuers_maximum_in_dollars_needs_a_rate(session):
    campaign = live_offering()
    campaign.status = CampaignStatus.DRAFT
    terms = terms_of(offering_of(campaign), issuer_jurisdiction="NL")
    with pytest.raises(DomainError, match="no exchange rate from USD to EUR"):
        services.save_terms(campaign, campaign.founder, terms)


def test_the_profile_of_a_german_resident_is_saved_in_euros(session):
    person = investor(income="40000", worth="20000", country="DE")
    assert investors.profile_of(person).currency == "EUR"
    assert investors.limit_of(person).annual_limit is None  # no limit: protections instead
    assert Decimal(investors.profile_of(person).net_worth_minor) == Decimal(2_000_000)
