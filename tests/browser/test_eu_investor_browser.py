"""A resident of Germany invests under the EU crowdfunding regulation, in a real browser:
the profile, the knowledge test (a failed attempt, told it may not be appropriate, going
on), the simulation of the ability to bear loss, the warning and consent above EUR 1,000,
the card saved through Stripe.js on the sandbox, then revoking within the 4-day
reflection period, past the offering's deadline: the offering is settled once the
period ended, and the investor is never charged (issue 27)."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.db import utcnow
from crowdfund.equity import eu
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.payments import gateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.models import ChargeAttempt
from crowdfund.settlement.runner import Settler
from tests.browser.helpers import sign_in, type_card
from tests.factories import live_offering, make_user


def _answer(page, answers: dict[str, str]) -> None:
    for name, key in answers.items():
        page.check(f"input[name={name}][value={key}]")


def test_a_german_resident_invests_then_revokes_and_is_never_charged(app, page):
    with app.app_context():
        campaign = live_offering(price="1.00", minimum="10")
        campaign.currency, campaign.goal_minor = "EUR", 100_00
        offering_of(campaign).issuer_jurisdiction = "DE"
        person = make_user(name="Lena Vogel")
        db.session.commit()
        slug, campaign_id, email = campaign.slug, campaign.id, person.email
        db.session.remove()
    sign_in(page, email)
    page.goto(f"{page.base}/campaigns/{slug}")
    page.locator("main").get_by_role("link", name=re.compile(r"^Invest")).first.click()
    page.wait_for_url(re.compile(r".*/invest/profile.*"))
    page.select_option("#jurisdiction", "DE")
    page.fill("#annual_income", "40000")
    page.fill("#net_worth", "20000")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/invest/education.*"))
    for name in ("lose_all", "easy_to_sell", "cancel_late"):
        page.check(f"input[name={name}][value={'yes' if name == 'lose_all' else 'no'}]")
    page.check("#accept")
    page.get_by_role("button", name="I understand").click()
    # The EU knowledge test: too few right answers, told, goes on.
    page.wait_for_url(re.compile(r".*/invest/eu/knowledge.*"))
    right = {name: key for name, _q, _o, key in eu.KNOWLEDGE_TEST}
    _answer(page, {**right, "lose": "half", "sell": "yes"})
    page.get_by_role("button", name="Send my answers").click()
    assert "may not be appropriate for you" in page.inner_text("#not-appropriate")
    page.check("#go-accept")
    page.get_by_role("button", name="Go on").click()
    # The loss simulation: 10% of EUR 20,000.
    page.wait_for_url(re.compile(r".*/invest/eu/loss.*"))
    assert "€2,000.00" in page.inner_text("#loss-simulation")
    page.check("#seen")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(rf".*/invest/{slug}$"))
    assert "4 days to revoke your investment" in page.inner_text("#reflection-note")
    page.fill("#amount", "1200")
    page.get_by_role("button", name="Continue").click()
    assert "€1,200.00 is more than €1,000.00" in page.inner_text("main")  # the warning
    page.check("#consent")
    page.get_by_role("button", name="Continue").click()
    assert "You buy 1,200 shares for €1,200.00." in page.inner_text("main")
    page.get_by_role("button", name="Confirm and save my card").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+/card$"))
    type_card(page, "4242424242424242")
    page.click("#card-submit")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    # The deadline passes within the reflection period: still revocable, not settled.
    with app.app_context():
        db.session.get(Campaign, campaign_id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
        db.session.remove()
    with app.app_context():
        settler = Settler(app, gateway(), worker="eu", sleep=lambda s: None)
    assert settler.settle(campaign_id).outcome == "live: nothing to do"
    page.reload()
    assert "You may revoke this investment until" in page.inner_text("#reflection")
    page.locator("#reflection summary", has_text="Revoke my investment").click()
    page.get_by_role("button", name="Yes, revoke my investment").click()
    assert "Your investment is cancelled. You will not be charged." in page.inner_text("main")
    with app.app_context():  # the period ends: the offering is decided, nobody charged
        db.session.execute(sa.update(Pledge).where(Pledge.campaign_id == campaign_id)
                           .values(revocable_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    assert settler.settle(campaign_id).outcome.startswith("failed")
    with app.app_context():
        pledge = db.session.scalar(sa.select(Pledge).where(Pledge.campaign_id == campaign_id))
        assert pledge.status is PledgeStatus.CANCELLED and pledge.risk_consent_at is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ChargeAttempt)) == 0
        db.session.remove()
