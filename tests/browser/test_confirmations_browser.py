"""Irreversible actions ask first, in a real browser and without any script of ours: the
button only opens the question; nothing changes until its "Yes, ..." is pressed."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.browser.helpers import sign_in
from tests.factories import make_campaign, make_pledge, make_user

S = CampaignStatus


def _status(app, model, row_id):
    with app.app_context():
        status = db.session.scalar(sa.select(model.status).where(model.id == row_id))
        db.session.remove()
    return status


def test_cancel_pledge_launch_now_and_delete_draft_ask_first(app, browser, live_server):
    with app.app_context():
        founder = make_user(name="Founder")
        approved = make_campaign(founder, status=S.APPROVED, title="Approved, not launched")
        draft = make_campaign(founder, ready=False, title="Draft to throw away")
        live = make_campaign(make_user(), status=S.LIVE, title="Live campaign")
        backer = make_user(name="Backer")
        pledge = make_pledge(live, backer)
        db.session.commit()
        ids = (approved.id, draft.id, pledge.id, founder.email, backer.email)
        db.session.remove()
    approved_id, draft_id, pledge_id, founder_email, backer_email = ids

    def person(email):
        context = browser.new_context(java_script_enabled=False)  # no script needed
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base = live_server
        sign_in(page, email)
        return page

    backer_page = person(backer_email)
    backer_page.goto(f"{live_server}/pledges/{pledge_id}")
    question = backer_page.locator("text=Cancel this pledge? Nothing will be charged")
    assert not question.is_visible()
    backer_page.locator("summary", has_text="Cancel pledge").click()
    assert question.is_visible()
    assert _status(app, Pledge, pledge_id) is PledgeStatus.ACTIVE  # asked, not done
    backer_page.get_by_role("button", name="Yes, cancel pledge").click()
    backer_page.wait_for_load_state()
    assert _status(app, Pledge, pledge_id) is PledgeStatus.CANCELLED

    founder_page = person(founder_email)
    founder_page.goto(f"{live_server}/studio/{approved_id}")
    founder_page.locator("summary", has_text="Launch now").click()
    assert founder_page.locator("text=Launch now? The campaign goes live at once").is_visible()
    assert _status(app, Campaign, approved_id) is S.APPROVED
    founder_page.get_by_role("button", name="Yes, launch it now").click()
    founder_page.wait_for_load_state()
    assert _status(app, Campaign, approved_id) is S.LIVE

    founder_page.goto(f"{live_server}/studio/{draft_id}")
    founder_page.locator("summary", has_text="Delete this draft").click()
    assert _status(app, Campaign, draft_id) is S.DRAFT
    founder_page.get_by_role("button", name="Yes, delete the draft").click()
    founder_page.wait_for_url(f"{live_server}/studio/")
    assert "is deleted." in founder_page.inner_text("main")
    assert _status(app, Campaign, draft_id) is S.DELETED
