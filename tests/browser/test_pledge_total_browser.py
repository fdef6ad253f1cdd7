"""The pledge form says what reward + shipping come to as the choices change, and raises
the amount to it (the form still works without the script: the server checks it)."""

from __future__ import annotations

from crowdfund.campaigns.models import ShippingRate
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import make_campaign, make_tier, make_user


def test_the_total_follows_the_reward_and_the_destination(app, page):
    with app.app_context():
        campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
        tier = make_tier(campaign, minimum_minor=4000, ships=True)  # ROW: $15.00
        tier.shipping_rates.append(ShippingRate(destination="US", fee_minor=500))
        backer = make_user()
        db.session.commit()
        slug, tier_id, email = campaign.slug, tier.id, backer.email
        db.session.remove()
    sign_in(page, email)
    page.goto(f"{page.base}/campaigns/{slug}/pledge")
    total = page.locator("#pledge-total")
    page.check(f"input[name=tier][value='{tier_id}']")
    assert total.inner_text() == "Choose where to ship it to see the total."
    page.select_option("#destination", "US")
    assert total.inner_text() == ("Reward $40.00 + shipping to United States $5.00 = "
                                  "at least $45.00.")
    assert page.input_value("#amount") == "45.00"
    page.select_option("#destination", "PT")  # no rate of its own: rest of world
    assert "shipping to Portugal $15.00 = at least $55.00." in total.inner_text()
    assert page.input_value("#amount") == "55.00"
    page.fill("#amount", "80")  # more than the minimum stays as typed
    page.select_option("#destination", "US")
    assert page.input_value("#amount") == "80"
    # No script error (the factories' campaigns name a cover file that is not there: its
    # 404 is not the script's).
    assert [e for e in page.js_errors if not e.startswith("Failed to load resource")] == []
