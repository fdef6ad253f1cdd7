"""The reward form's shipping rows in a browser: "Add another destination" adds a row on
the page (no round trip, nothing typed is lost), "Remove" takes one away, and the server
saves exactly the rows left (their numbering has gaps)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.campaigns.models import RewardTier
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import make_campaign, make_user


def test_shipping_rows_are_added_and_removed_in_the_page(app, page):
    with app.app_context():
        founder = make_user()
        campaign = make_campaign(founder, ready=False)
        db.session.commit()
        email, campaign_id = founder.email, campaign.id
        db.session.remove()
    sign_in(page, email)
    url = f"{page.base}/studio/{campaign_id}/rewards/new"
    page.goto(url)
    page.fill("#title", "Kettle")
    page.fill("#minimum", "45")
    page.check("input[name=ships][value=yes]")
    rows = page.locator("tr[data-row]")
    assert rows.count() == 3
    add = page.get_by_role("button", name="Add another destination")
    for _ in range(6):
        add.click()
    assert rows.count() == 9 and page.url == url  # added here, not by a round trip
    codes = ["US", "CA", "MX", "GB", "FR", "DE", "PT", "JP", "ROW"]
    for n, code in enumerate(codes):
        rows.nth(n).locator("select").select_option(code)
        rows.nth(n).locator("input").fill(str(5 + n))
    # The new row got focus-ready labels of its own place.
    assert rows.nth(8).locator("select").get_attribute("aria-label") == "Destination 9"
    page.get_by_role("button", name="Remove row 3").click()  # Mexico goes
    assert rows.count() == 8
    assert rows.nth(2).locator("select").get_attribute("aria-label") == "Destination 3"
    page.get_by_role("button", name="Save reward").click()
    page.wait_for_url(f"{page.base}/studio/{campaign_id}/rewards")
    with app.app_context():
        tier = db.session.scalar(sa.select(RewardTier).where(
            RewardTier.campaign_id == campaign_id))
        rates = {r.destination: r.fee_minor for r in tier.shipping_rates}
        db.session.remove()
    assert rates == {"US": 500, "CA": 600, "GB": 800, "FR": 900, "DE": 1000, "PT": 1100,
                     "JP": 1200, "ROW": 1300}
    assert [e for e in page.js_errors if not e.startswith("Failed to load resource")] == []
