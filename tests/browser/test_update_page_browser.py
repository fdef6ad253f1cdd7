"""A backer opens a backers-only update from the campaign page, comments under it and sees
the founder's reply; a signed-out visitor is asked to sign in and reads none of it; the
campaign's own conversation stays empty. In a real browser."""

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import CampaignUpdate
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import make_campaign, make_pledge, make_user


@pytest.fixture
def scene(app):
    with app.app_context():
        founder = make_user(name="Founder Fiona")
        campaign = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0,
                                 title="Tidewater recorder")
        backer = make_user(name="Browser Backer")
        make_pledge(campaign, backer, amount_minor=7_500)
        update = CampaignUpdate(campaign_id=campaign.id, number=1, title="First units",
                                body_md="The **first ten** recorders passed the tank test.",
                                visibility="backers", author_id=founder.id)
        db.session.add(update)
        db.session.commit()
        yield {"slug": campaign.slug, "backer": backer.email, "founder": founder.email,
               "path": f"/campaigns/{campaign.slug}/updates/{update.id}"}
        db.session.remove()


def test_a_backer_comments_under_a_backers_only_update(app, page, scene, browser):
    page.goto(page.base + scene["path"])
    assert "Sign in" in page.inner_text(".notice")
    assert "First units" not in page.content() and "tank test" not in page.content()

    sign_in(page, scene["backer"])
    page.goto(f"{page.base}/campaigns/{scene['slug']}")
    page.click("text=Update #1: First units")
    page.wait_for_url(f"**{scene['path']}")
    assert page.inner_text(".prose strong") == "first ten"
    page.fill("#body", "Great news, how deep was the tank?")
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector("text=Your comment is posted.")
    assert "Comments on this update (1)" in page.inner_text("#comments-title")

    founder_context = browser.new_context()
    founder = founder_context.new_page()
    founder.set_default_timeout(15_000)
    founder.base = page.base
    sign_in(founder, scene["founder"])
    founder.goto(founder.base + scene["path"])
    founder.click(".thread .reply-box summary")
    founder.fill(".thread .reply-box textarea", "Four metres.")
    founder.click(".thread .reply-box button[type=submit]")
    founder.wait_for_selector("text=Your reply is posted.")
    founder_context.close()

    page.reload()
    reply = page.locator(".reply .comment", has_text="Four metres.")
    assert reply.locator(".badge-founder").inner_text() == "Founder"
    page.goto(f"{page.base}/campaigns/{scene['slug']}")
    assert "Comments and questions (0)" in page.inner_text("#comments-title")
    assert "how deep was the tank" not in page.content()
