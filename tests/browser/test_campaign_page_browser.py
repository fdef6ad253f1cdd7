"""The campaign page's extras in Chromium: on a phone the rewards are one tap away
(the "Back this project" button is on screen without scrolling and brings the rewards into
view; an offering's "See the offer" likewise), "Copy link" copies the tagged address with the
local script (CSP-clean) and works without scripts as a field, and Follow for a signed-out
visitor goes through sign-in and back, one click from following."""

from __future__ import annotations

import pytest

from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import Follow
from crowdfund.extensions import db
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD, live_offering, make_campaign, make_user
from tests.page_extras import stored_test_image

#: The element's top is on screen (a pixel's fraction above it counts: an anchor's jump).
IN_VIEW = """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
  return box.top > -2 && box.top < window.innerHeight && box.bottom > 0; }"""


@pytest.fixture
def scene(app):
    with app.app_context():
        founder = make_user(name="Founder Fiona")
        campaign = make_campaign(
            founder, status=CampaignStatus.LIVE, tiers=3,
            title="A pocket tide clock that tells the sea's time for every harbour",
            blurb="A brass tide clock for your pocket: it reads the moon and tells you when "
                  "the water comes back, in every harbour of the world.")
        campaign.description_md = "A long story about tides. " * 200
        campaign.risks_md = "Brass is dear. " * 100
        campaign.tiers[1].image_path = stored_test_image()
        for n in range(6):
            db.session.add(FaqEntry(campaign_id=campaign.id, question=f"Question {n}?",
                                    answer_md="An answer. " * 30, position=n))
        offering = live_offering()
        backer = make_user(name="Browser Backer")
        db.session.commit()
        yield {"slug": campaign.slug, "offering": offering.slug, "backer": backer.email,
               "backer_id": backer.id, "campaign_id": campaign.id}
        db.session.remove()


@pytest.mark.parametrize("width", [320, 360, 390])
def test_on_a_phone_the_rewards_are_one_tap_away(browser, live_server, scene, width):
    context = browser.new_context(viewport={"width": width, "height": 640}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server}/campaigns/{scene['slug']}")
    button = page.locator("#jump-back")
    assert button.inner_text() == "Back this project"
    assert page.evaluate("window.scrollY") == 0 and page.evaluate(IN_VIEW, "#jump-back")
    assert not page.evaluate(IN_VIEW, "#rewards")  # under the story, the FAQ, the budget...
    button.tap()
    page.wait_for_function(f"() => ({IN_VIEW})('#rewards')")
    assert page.evaluate(IN_VIEW, "#rewards-title")
    assert page.url.endswith("#rewards")
    image = page.locator("#rewards img.tier-image")
    assert image.get_attribute("alt") == "Tier 2" and image.get_attribute("loading") == "lazy"
    # The equity offering's equivalent: Invest, which brings the invest box into view.
    page.goto(f"{live_server}/campaigns/{scene['offering']}")
    assert page.locator("#jump-back").inner_text() == "See the offer"
    assert page.evaluate(IN_VIEW, "#jump-back")
    page.locator("#jump-back").tap()
    page.wait_for_function(f"() => ({IN_VIEW})('#invest')")
    context.close()


def test_copy_link_copies_the_sharers_tagged_address(browser, live_server, scene):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.base = live_server
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    sign_in(page, scene["backer"])
    page.goto(f"{live_server}/campaigns/{scene['slug']}")
    url = page.input_value("#share-url")
    assert url.startswith(f"{live_server}/campaigns/{scene['slug']}?ref=s-")
    page.click("#share-copy")
    page.wait_for_selector("#share-status:has-text('Link copied.')")
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert page.locator(".share-links a").count() == 7
    assert all(a.get_attribute("rel") == "noopener noreferrer"
               for a in page.locator(".share-links a").all())
    # Only our own scripts ran, and nothing broke the Content-Security-Policy (the test
    # data's cover is no stored file: its 404 is no script's error).
    scripts = page.evaluate("[...document.scripts].map(s => s.src)")
    assert all(src.startswith(live_server) for src in scripts if src)
    assert [p for p in problems if "Failed to load resource" not in p] == []
    context.close()


def test_without_scripts_the_link_is_a_field_to_copy(browser, live_server, scene):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/campaigns/{scene['slug']}")
    assert page.is_visible("#share-url") and not page.is_visible("#share-copy")
    assert page.input_value("#share-url").endswith("?ref=share")
    context.close()


def test_follow_signed_out_signs_in_and_comes_back_one_click_from_it(app, page, scene):
    page.goto(f"{page.base}/campaigns/{scene['slug']}")
    page.click("#follow-sign-in")
    page.wait_for_url("**/login?**")
    page.fill("#email", scene["backer"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/campaigns/{scene['slug']}?follow=1*")
    assert page.is_visible("#follow-hint")
    page.click("#follow button")
    page.wait_for_selector("text=You follow this campaign")
    assert page.inner_text("#follow button") == "Following ✓"
    with app.app_context():
        assert db.session.query(Follow).filter_by(
            user_id=scene["backer_id"], campaign_id=scene["campaign_id"]).count() == 1
    assert [e for e in page.js_errors if "Failed to load resource" not in e] == []
