"""A backer follows a campaign, comments, sees the founder's reply marked as the founder's,
and sees the funding chart drawn, in a real browser."""

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import Comment, Follow
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import make_campaign, make_pledge, make_user


@pytest.fixture
def scene(app):
    with app.app_context():
        founder = make_user(name="Founder Fiona")
        campaign = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0,
                                 title="Tidewater recorder", goal_minor=20_000)
        backer = make_user(name="Browser Backer")
        make_pledge(campaign, backer, amount_minor=7_500)
        make_pledge(campaign, amount_minor=2_500)
        db.session.commit()
        yield {"slug": campaign.slug, "backer": backer.email, "founder": founder.email}
        db.session.remove()


def test_follow_comment_founder_reply_and_chart(app, page, scene, browser):
    url = f"{page.base}/campaigns/{scene['slug']}"
    sign_in(page, scene["backer"])
    page.goto(url)
    page.click("#follow button")
    page.wait_for_selector("text=You follow this campaign")
    assert page.inner_text("#follow button") == "Following ✓"

    page.fill("#body", "Does the recorder work underwater? <b>asking</b>")
    page.check("input[name=kind][value=question]")
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector("text=Your comment is posted.")
    mine = page.locator(".comment", has_text="Does the recorder work underwater?")
    assert "Backer" in mine.inner_text() and "Question" in mine.inner_text()
    assert "<b>asking</b>" in mine.inner_text()  # shown as typed, not as markup

    founder_context = browser.new_context()
    founder = founder_context.new_page()
    founder.set_default_timeout(15_000)
    founder.base = page.base
    sign_in(founder, scene["founder"])
    founder.goto(url)
    founder.click(".thread .reply-box summary")
    founder.fill(".thread .reply-box textarea", "Yes, down to 10 metres.")
    founder.click(".thread .reply-box button[type=submit]")
    founder.wait_for_selector("text=Your reply is posted.")
    founder_context.close()

    page.reload()
    reply = page.locator(".reply .comment", has_text="Yes, down to 10 metres.")
    assert reply.locator(".badge-founder").inner_text() == "Founder"
    assert "Founder Fiona" in reply.inner_text()

    chart = page.locator("svg[data-chart=funding-chart]")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 80  # drawn, not just present
    values = chart.locator("rect[data-value]").evaluate_all(
        "els => els.map(e => Number(e.dataset.value))")
    assert sum(values) == 10_000
    drawn = chart.locator("rect[data-value]").evaluate_all(
        "els => els.filter(e => e.getBoundingClientRect().height > 0).length")
    assert drawn >= 1
    # On a phone: the chart fits the screen and its labels stay legible.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    chart = page.locator("svg[data-chart=funding-chart]")
    chart.scroll_into_view_if_needed()
    assert chart.bounding_box()["width"] <= 375
    label = chart.locator("text.label").first.bounding_box()
    assert label["height"] >= 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll

    # (the factory's cover image is not on disk: its 404 is the only console error)
    assert [e for e in page.js_errors if "Failed to load resource" not in e] == []

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 2
