"""The pledge form's running total counts the add-ons taken with the chosen reward and
their shipping per unit, and raises the amount to it; the form is sent as the page has it
(the server checks everything: tests/web/test_add_on_pages.py does it without scripts)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeAddOn
from tests.browser.helpers import sign_in
from tests.factories import make_add_on, make_campaign, make_tier, make_user


def test_the_total_follows_the_add_ons_and_their_shipping(app, page):
    with app.app_context():
        campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
        digital = make_tier(campaign, minimum_minor=2500)
        shipped = make_tier(campaign, minimum_minor=4000, ships=True)  # ROW: $15.00
        pin = make_add_on(campaign, name="Pin", price_minor=500, limit=3)
        poster = make_add_on(campaign, name="Poster", price_minor=1200,
                             rates={"US": 200, "ROW": 400}, tiers=[shipped])
        backer = make_user()
        db.session.commit()
        slug, digital_id, shipped_id, email = campaign.slug, digital.id, shipped.id, backer.email
        pin_field, poster_field = f"#add_on_{pin.id}", f"#add_on_{poster.id}"
        db.session.remove()
    sign_in(page, email)
    page.goto(f"{page.base}/campaigns/{slug}/pledge")
    total = page.locator("#pledge-total")
    page.check(f"input[name=tier][value='{digital_id}']")
    page.fill(pin_field, "2")
    page.locator(pin_field).dispatch_event("change")
    assert total.inner_text() == "Reward $25.00 + add-ons $10.00 = at least $35.00."
    assert page.input_value("#amount") == "35.00"
    page.fill(poster_field, "1")  # not offered with the digital reward: not counted
    page.locator(poster_field).dispatch_event("change")
    assert page.input_value("#amount") == "35.00"

    page.check(f"input[name=tier][value='{shipped_id}']")
    assert total.inner_text() == "Choose where to ship it to see the total."
    page.select_option("#destination", "US")
    assert total.inner_text() == ("Reward $40.00 + add-ons $22.00 + shipping to United States "
                                  "$17.00 = at least $79.00.")
    assert page.input_value("#amount") == "79.00"
    page.click("text=Continue to payment")
    page.wait_for_url(re.compile(r".*/pledges/\d+/card"))
    with app.app_context():
        pledge = db.session.scalar(sa.select(Pledge))
        lines = dict(db.session.execute(sa.select(PledgeAddOn.add_on_id,
                                                  PledgeAddOn.quantity)).all())
        assert (pledge.amount_minor, pledge.shipping_minor, pledge.tier_id) == (
            7900, 1700, shipped_id)
        assert sorted(lines.values()) == [1, 2]
        db.session.remove()
    assert [e for e in page.js_errors if not e.startswith("Failed to load resource")] == []
