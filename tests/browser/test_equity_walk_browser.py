"""The equity path as a new investor walks it in a browser: the offering, the investor
profile, the education quiz, the quote, the card (Stripe.js against the sandbox), the
investment page, then the offering closes and charges, and the holding is there. No page
or email of an investment speaks of a pledge, a reward or shipping."""

from __future__ import annotations

import re

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from crowdfund.payments import gateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.runner import Settler
from tests.browser.helpers import sign_in, type_card
from tests.factories import ended, live_offering, make_user, reward_words_in


def _words_of_rewards(page) -> list[str]:
    return reward_words_in(page.inner_text("main"))


def test_a_new_investor_walks_the_equity_path(app, page):
    with app.app_context():
        campaign = live_offering(price="2.50")
        campaign.goal_minor = 500_00  # a small target: one investment reaches it
        campaign.founder.display_name = "Marta Kowalska"
        person = make_user(name="Nia Investor")
        db.session.commit()
        slug, campaign_id, email = campaign.slug, campaign.id, person.email
        db.session.remove()
    seen: dict[str, list[str]] = {}

    def look(name):
        seen[name] = _words_of_rewards(page)

    sign_in(page, email)
    page.goto(f"{page.base}/campaigns/{slug}")
    look("offering page")
    page.locator("main").get_by_role("link", name=re.compile(r"^Invest")).first.click()
    # Profile first (the way back to the offering is kept).
    page.wait_for_url(re.compile(r".*/invest/profile.*"))
    look("profile")
    page.select_option("#jurisdiction", "US")
    page.fill("#annual_income", "60000")
    page.fill("#net_worth", "80000")
    page.fill("#invested_elsewhere", "0")
    page.get_by_role("button", name="Save").click()
    # The quiz: a wrong answer is marked, then all right.
    page.wait_for_url(re.compile(r".*/invest/education.*"))
    look("education")
    page.check("input[name=lose_all][value=no]")
    page.check("input[name=easy_to_sell][value=no]")
    page.check("input[name=cancel_late][value=no]")
    page.check("#accept")
    page.get_by_role("button", name="I understand").click()
    assert page.locator("text=Not right: see the text above.").count() == 1
    page.check("input[name=lose_all][value=yes]")
    page.check("#accept")
    page.get_by_role("button", name="I understand").click()
    page.wait_for_url(re.compile(rf".*/invest/{slug}$"))
    look("invest")
    page.fill("#amount", "1000")
    page.get_by_role("button", name="Continue").click()
    assert "You buy 400 shares for $1,000.00." in page.inner_text("main")
    look("quote")
    page.get_by_role("button", name="Confirm and save my card").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+/card$"))
    look("card")
    type_card(page, "4242424242424242")
    page.click("#card-submit")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    body = page.inner_text("main")
    assert "Your investment is active" in body and "400" in body
    look("investment")
    # The deadline passes; the offering reached its target: charged, shares issued.
    with app.app_context():
        ended(db.session.get(Campaign, campaign_id))
        db.session.commit()
        settler = Settler(app, gateway(), worker="walk", sleep=lambda s: None)
        db.session.remove()
    assert settler.settle(campaign_id).outcome == "funded: charged"
    with app.app_context():  # the collection window closes: the securities are issued
        db.session.get(Campaign, campaign_id).collection_ends_at = utcnow()
        db.session.commit()
        db.session.remove()
    settler.process_recovery()
    page.goto(f"{page.base}/invest/holdings")
    holdings = page.inner_text("main")
    assert "Tidewater Instruments Inc." in holdings and "400" in holdings
    look("holdings")
    page.goto(f"{page.base}/pledges")
    look("your list")
    with app.app_context():
        pledge = db.session.scalar(sa.select(Pledge).where(Pledge.campaign_id == campaign_id))
        assert pledge.status is PledgeStatus.COLLECTED
        emails = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_email == email)).all()
        mail = {e.subject: reward_words_in(e.subject + " " + re.sub(
            r"https?://\S+", "", e.text_body)) for e in emails}
        db.session.remove()
    assert len(mail) >= 2, mail  # the confirmation, and the receipt of the charge
    assert {name: words for name, words in seen.items() if words} == {}
    assert {subject: words for subject, words in mail.items() if words} == {}
