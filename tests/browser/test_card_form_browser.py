"""The sandbox's card form (its Stripe.js) takes a card as people type it: a number with
spaces, a two- or four-digit expiry year, "12/30" in the month box; the form moves on to
the next box by itself only once a box is complete."""

import re

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.browser.helpers import sign_in
from tests.factories import make_campaign, make_user

BOX = "#card-element input[placeholder={}]"


@pytest.fixture
def card_page(app, page):
    """A backer on the card page of a new pledge; returns a function reading the pledge."""
    with app.app_context():
        campaign = make_campaign(make_user(), status=CampaignStatus.LIVE, tiers=0)
        backer = make_user(name="Typing Backer")
        db.session.commit()
        slug, backer_id, email = campaign.slug, backer.id, backer.email
        db.session.remove()
    sign_in(page, email)
    page.goto(f"{page.base}/campaigns/{slug}/pledge")
    page.fill("#amount", "35")
    page.click("text=Continue to payment")
    page.wait_for_url(re.compile(r".*/pledges/\d+/card"))
    page.wait_for_selector(BOX.format("number"))

    def pledge():
        with app.app_context():
            return db.session.execute(sa.select(
                Pledge.status, Pledge.card_last4, Pledge.card_exp_month, Pledge.card_exp_year,
            ).where(Pledge.backer_id == backer_id)).one()

    return pledge


def _saved(page, pledge):
    page.click("#card-submit")
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    assert "Visa ending in 4242, expires 12/2030" in page.inner_text("main")
    assert tuple(pledge()) == (PledgeStatus.ACTIVE, "4242", 12, 2030)


def test_a_card_typed_key_by_key_with_a_four_digit_year(page, card_page):
    page.click(BOX.format("number"))
    # One stream of keys: the form moves from box to box as each is complete.
    page.keyboard.type("4242 4242 4242 4242" "12" "2030" "123" "10001", delay=15)
    assert [page.input_value(BOX.format(box)) for box in ("exp_month", "exp_year", "cvc")] == [
        "12", "2030", "123"]
    _saved(page, card_page)


@pytest.mark.parametrize(("month", "year"), [("12", "2030"), ("12", "30"), ("12/30", ""),
                                             ("12 / 2030", "")])
def test_an_expiry_as_people_write_it(page, card_page, month, year):
    page.fill(BOX.format("number"), "4242424242424242")
    page.fill(BOX.format("exp_month"), month)
    page.fill(BOX.format("exp_year"), year)
    page.fill(BOX.format("cvc"), "123")
    page.fill(BOX.format("postal_code"), "10001")
    _saved(page, card_page)
