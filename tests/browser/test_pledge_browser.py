"""A backer pledges in a real browser with the sandbox's Stripe.js and Card Element."""

import re

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.browser.helpers import sign_in, type_card
from tests.factories import make_campaign, make_tier, make_user


@pytest.fixture
def scene(app):
    with app.app_context():
        campaign = make_campaign(make_user(name="Founder"), status=CampaignStatus.LIVE, tiers=0,
                                 title="Tidewater recorder")
        tier = make_tier(campaign, minimum_minor=3000, limit=20)
        tier.title = "Field kit"
        backer = make_user(name="Browser Backer")
        db.session.commit()
        yield {"slug": campaign.slug, "tier_id": tier.id, "email": backer.email}
        db.session.remove()


def _choose_reward(page, slug):
    page.goto(f"{page.base}/campaigns/{slug}")
    page.click("text=Select this reward")
    page.wait_for_url(re.compile(r".*/pledge\?tier=\d+"))
    page.fill("#amount", "35")
    page.click("text=Continue to payment")
    page.wait_for_url(re.compile(r".*/pledges/\d+/card"))


def _status(app, email):
    with app.app_context():
        return db.session.execute(sa.select(Pledge.status, Pledge.card_last4).join(
            Pledge.backer).where(Pledge.backer.property.mapper.class_.email == email)).one()


def test_pledge_with_4242(app, page, scene):
    sign_in(page, scene["email"])
    _choose_reward(page, scene["slug"])
    assert "You will be charged $35.00 only if the campaign reaches its goal" in page.content()
    type_card(page, "4242424242424242")
    page.click("#card-submit")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    body = page.inner_text("main")
    assert "Thank you! Your pledge is active." in body
    assert "Visa ending in 4242" in body and "Field kit" in body
    assert _status(app, scene["email"]) == (PledgeStatus.ACTIVE, "4242")
    assert not [e for e in page.js_errors if "Content Security Policy" in e], page.js_errors


def test_pledge_with_3d_secure(app, page, scene):
    sign_in(page, scene["email"])
    _choose_reward(page, scene["slug"])
    type_card(page, "4000002500003155")
    page.click("#card-submit")
    page.click("text=Complete authentication")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    assert "Thank you! Your pledge is active." in page.inner_text("main")
    assert _status(app, scene["email"]) == (PledgeStatus.ACTIVE, "3155")


def test_declined_card_shows_the_reason_and_stays(app, page, scene):
    sign_in(page, scene["email"])
    _choose_reward(page, scene["slug"])
    type_card(page, "4000000000000002")
    page.click("#card-submit")
    page.wait_for_selector("#card-errors:has-text('Your card was declined.')")
    assert re.search(r"/pledges/\d+/card$", page.url)
    assert _status(app, scene["email"])[0] is PledgeStatus.PENDING
