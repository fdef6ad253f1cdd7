"""No page scrolls sideways on a 320 px phone: every role's main pages, measured in
Chromium (tables scroll inside their own box, everything else wraps)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.pledges.models import PledgeStatus
from tests.browser.helpers import sign_in
from tests.factories import make_campaign, make_pledge, make_user

WIDTH = 320


@pytest.fixture
def scene(app):
    with app.app_context():
        founder = make_user(name="Founder With A Rather Long Name Indeed")
        live = make_campaign(founder, status=CampaignStatus.LIVE, tiers=2,
                             title="A campaign title long enough to wrap on a small phone")
        ended = make_campaign(founder, status=CampaignStatus.COLLECTING, tiers=1,
                              title="Ended and collecting")
        ended.deadline = utcnow() - timedelta(days=2)
        backer = make_user(name="Backer")
        pledge = make_pledge(live, backer, amount_minor=12_345)
        make_pledge(ended, backer, amount_minor=5_000, status=PledgeStatus.ERRORED)
        for _ in range(3):
            make_pledge(live, amount_minor=2_500)
        operator = make_user(operator=True)
        db.session.commit()
        ids = dict(live=live.id, ended=ended.id, live_slug=live.slug, ended_slug=ended.slug,
                   pledge=pledge.id, founder=founder.email, backer=backer.email,
                   operator=operator.email)
        db.session.remove()
    return ids


def _too_wide(page, paths: list[str]) -> dict[str, int]:
    wide = {}
    for path in paths:
        page.goto(page.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            wide[path] = width
    return wide


def test_no_page_scrolls_sideways_at_320_px(browser, live_server, scene):
    pages = {
        None: ["/", "/discover", f"/campaigns/{scene['live_slug']}",
               f"/campaigns/{scene['ended_slug']}", "/login", "/register"],
        "backer": ["/pledges", f"/pledges/{scene['pledge']}"],
        "founder": ["/studio/", f"/studio/{scene['live']}", f"/studio/{scene['live']}/backers"],
        "operator": ["/operators/", "/operators/settlement", "/operators/audit",
                     f"/operators/campaigns/{scene['ended']}/money",
                     f"/operators/campaigns/{scene['live']}", "/operators/outbox"],
    }
    wide = {}
    for role, paths in pages.items():
        context = browser.new_context(viewport={"width": WIDTH, "height": 700})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server
        if role:
            sign_in(page, scene[role])
        wide.update(_too_wide(page, paths))
        context.close()
    assert wide == {}, f"pages wider than {WIDTH} px: {wide}"
