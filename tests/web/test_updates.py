"""Campaign updates: numbered newest first, backers-only hidden from everyone else (on the
page and in email), sanitised Markdown."""

import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import CampaignUpdate
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import PledgeStatus
from tests.factories import make_campaign, make_pledge, make_user

XSS = ('Thanks! <script>alert(1)</script> <img src=x onerror="alert(2)"> '
       '[click](javascript:alert(3)) **bold**')


def test_updates_visibility_numbering_email_and_sanitising(app, client, auth, session):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    backer = make_pledge(campaign).backer
    make_pledge(campaign, status=PledgeStatus.CANCELLED)  # not a backer any more
    stranger = make_user()
    session.commit()
    auth.login_as(campaign.founder)
    response = client.post(f"/studio/{campaign.id}/updates",
                           data={"title": "Tooling done", "body_md": XSS,
                                 "visibility": "public"}, follow_redirects=True)
    assert "Update #1 is posted" in response.get_data(as_text=True)
    client.post(f"/studio/{campaign.id}/updates",
                data={"title": "Secret sauce", "body_md": "Only for our backers: the recipe.",
                      "visibility": "backers"})
    response = client.post(f"/studio/{campaign.id}/updates",
                           data={"title": "", "body_md": "short", "visibility": "public"})
    assert response.status_code == 400
    assert session.scalar(sa.select(sa.func.count()).select_from(CampaignUpdate)) == 2
    client.post("/logout")

    def page_as(user):
        if user is not None:
            auth.login_as(user)
        text = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
        if user is not None:
            client.post("/logout")
        return text

    for viewer in (None, stranger):
        page = page_as(viewer)
        assert "Update #2" in page and "For backers only" in page
        assert "Secret sauce" not in page and "the recipe" not in page
        assert "Update #1: Tooling done" in page
        assert page.index("Update #2") < page.index("Update #1")  # newest first
        assert "<script>alert(1)" not in page and "onerror" not in page
        assert 'href="javascript:' not in page and "<strong>bold</strong>" in page
    page = page_as(backer)
    assert "Update #2: Secret sauce" in page and "the recipe" in page
    mails = session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "campaign_update")).all()
    assert {m.to_email for m in mails} == {backer.email}  # backers only, both updates
    assert len(mails) == 2
    assert all("<script>" not in m.html_body for m in mails)


def test_no_updates_before_launch(app, client, auth, session):
    campaign = make_campaign(tiers=0)
    session.commit()
    auth.login_as(campaign.founder)
    response = client.post(f"/studio/{campaign.id}/updates",
                           data={"title": "Too early", "body_md": "We are not live yet at all.",
                                 "visibility": "public"})
    assert response.status_code == 400
    assert "once the campaign is live" in response.get_data(as_text=True)
