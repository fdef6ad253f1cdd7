"""A backer pays a second pledge with the card saved by the first, in a real browser with
the sandbox's Stripe.js: at once for a plain card, and after 3-D Secure asked again on the
card page for a card whose bank wants it."""

import re

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.browser.helpers import sign_in, type_card
from tests.factories import make_campaign, make_user


@pytest.fixture
def scene(app):
    with app.app_context():
        founder = make_user(name="Founder")
        first = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0, title="Tide clock")
        second = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0,
                               title="Paper lanterns")
        backer = make_user(name="Returning Backer")
        db.session.commit()
        yield {"first": first.slug, "second": second.slug, "email": backer.email,
               "backer_id": backer.id}
        db.session.remove()


def _to_card_page(page, slug):
    page.goto(f"{page.base}/campaigns/{slug}/pledge")
    page.fill("#amount", "35")
    page.click("text=Continue to payment")
    page.wait_for_url(re.compile(r".*/pledges/\d+/card"))


def _statuses(app, backer_id):
    with app.app_context():
        return db.session.execute(sa.select(Pledge.status, Pledge.payment_method_id).where(
            Pledge.backer_id == backer_id).order_by(Pledge.id)).all()


def _script_errors(page) -> list[str]:
    """What went wrong in the page's scripts (the test campaigns' cover image is not there:
    not a script's doing)."""
    return [e for e in page.js_errors if not e.startswith("Failed to load resource")]


def _first_pledge(page, slug, number):
    _to_card_page(page, slug)
    type_card(page, number)
    page.click("#card-submit")
    if number.endswith("3155"):
        page.click("text=Complete authentication")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))


def test_the_second_pledge_uses_the_saved_card(app, page, scene):
    sign_in(page, scene["email"])
    _first_pledge(page, scene["first"], "4242424242424242")
    _to_card_page(page, scene["second"])
    assert "Visa ending in 4242, expires 12/2034" in page.inner_text("#saved-card-form")
    page.click("#saved-card-submit")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    assert "Thank you! Your pledge is active." in page.inner_text("main")
    (one, pm), (two, pm_again) = _statuses(app, scene["backer_id"])
    assert one is two is PledgeStatus.ACTIVE and pm == pm_again
    assert not _script_errors(page), page.js_errors


def test_a_3ds_saved_card_asks_again_on_the_card_page(app, page, scene):
    sign_in(page, scene["email"])
    _first_pledge(page, scene["first"], "4000002500003155")
    _to_card_page(page, scene["second"])
    page.click("#saved-card-submit")
    page.wait_for_selector("#setup-auth-form")
    assert "Your bank asks you to confirm this card." in page.inner_text("main")
    assert _statuses(app, scene["backer_id"])[1][0] is PledgeStatus.PENDING
    page.click("#setup-auth-submit")
    page.click("text=Complete authentication")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    assert "Thank you! Your pledge is active." in page.inner_text("main")
    assert [s for s, _pm in _statuses(app, scene["backer_id"])] == [PledgeStatus.ACTIVE] * 2
    assert not _script_errors(page), page.js_errors
