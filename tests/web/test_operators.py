"""The operators' console: review queue, decisions, suspension, founder verification, audit."""

import pytest

from crowdfund.auth.models import User, VerificationStatus
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from tests.factories import make_campaign, make_pledge, make_user

S = CampaignStatus


@pytest.fixture
def setup(session, auth):
    founder = make_user(name="Fiona Founder")
    operator = make_user(name="Olga", operator=True)
    waiting = make_campaign(founder, status=S.SUBMITTED, title="Waiting for review")
    draft = make_campaign(founder, status=S.DRAFT, title="Still a draft")
    session.commit()
    auth.login_as(operator)
    return {"founder": founder, "operator": operator, "waiting": waiting, "draft": draft}


def test_queue_lists_only_submitted_campaigns(client, setup):
    page = client.get("/operators/").get_data(as_text=True)
    assert "Waiting for review" in page and "Still a draft" not in page


def test_approve_then_founder_launches(app, client, auth, setup):
    campaign = setup["waiting"]
    response = client.post(f"/operators/campaigns/{campaign.id}/approve", data={"note": "Fine"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).status is S.APPROVED
    auth.logout()
    auth.login_as(setup["founder"])
    client.post(f"/studio/{campaign.id}/launch")
    with app.app_context():
        live = db.session.get(Campaign, campaign.id)
        assert live.status is S.LIVE and live.deadline is not None


def test_reject_needs_a_reason_and_the_founder_sees_it(app, client, auth, setup):
    campaign = setup["waiting"]
    client.post(f"/operators/campaigns/{campaign.id}/reject", data={"reason": ""})
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).status is S.SUBMITTED
    client.post(f"/operators/campaigns/{campaign.id}/reject",
                data={"reason": "Please show a working prototype."})
    auth.logout()
    auth.login_as(setup["founder"])
    page = client.get(f"/studio/{campaign.id}").get_data(as_text=True)
    assert "Changes requested" in page and "Please show a working prototype." in page
    client.post(f"/studio/{campaign.id}/submit")
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).status is S.SUBMITTED


def test_deciding_twice_is_refused_with_a_message(app, client, setup):
    campaign = setup["waiting"]
    client.post(f"/operators/campaigns/{campaign.id}/approve")
    response = client.post(f"/operators/campaigns/{campaign.id}/reject",
                           data={"reason": "Changed my mind"}, follow_redirects=True)
    assert response.status_code == 200
    assert b"cannot become rejected" in response.data
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).status is S.APPROVED


def test_suspend_live_campaign_releases_pledges(app, client, session, setup):
    live = make_campaign(setup["founder"], status=S.LIVE)
    make_pledge(live)
    session.commit()
    response = client.post(f"/operators/campaigns/{live.id}/suspend",
                           data={"reason": "Reported as a scam"}, follow_redirects=True)
    assert b"Suspended; 1 pledge released." in response.data
    public = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    assert "Funding for this campaign has been suspended" in public


def test_verify_founder_shows_badge(app, client, setup):
    founder = setup["founder"]
    bad = client.post(f"/operators/founders/{founder.id}",
                      data={"status": "verified", "legal_name": "", "note": ""})
    assert bad.status_code == 400 and b"Record the legal name" in bad.data
    client.post(f"/operators/founders/{founder.id}",
                data={"status": "verified", "legal_name": "Fiona F. Founder", "note": "Passport"})
    with app.app_context():
        user = db.session.get(User, founder.id)
        assert user.is_verified and user.verification.checked_by_id == setup["operator"].id
        assert user.verification.status is VerificationStatus.VERIFIED


def test_audit_trail_lists_transitions(client, setup):
    campaign = setup["waiting"]
    client.post(f"/operators/campaigns/{campaign.id}/reject", data={"reason": "Needs a budget"})
    page = client.get("/operators/audit").get_data(as_text=True)
    assert "Needs a budget" in page and "Olga" in page
    # In the words the founder's page and email use, not the status's value.
    assert ">In review</td>" in page and ">Changes requested</td>" in page
    assert "rejected" not in page
    founder_page = client.get(f"/operators/campaigns/{campaign.id}").get_data(as_text=True)
    assert "In review → <strong>Changes requested</strong>" in founder_page
    filtered = client.get(f"/operators/audit?campaign={setup['draft'].id}").get_data(as_text=True)
    assert "Needs a budget" not in filtered


def test_audit_trail_shows_staff_picks_and_identity_checks_in_constant_queries(app, client,
                                                                                setup):
    from tests.factories import count_queries

    def act(n):
        for i in range(n):
            founder = make_user(name=f"Checked founder {i}")
            campaign = make_campaign(founder, status=S.LIVE, title=f"Picked {i}")
            db.session.commit()
            client.post(f"/operators/campaigns/{campaign.id}/staff-pick", data={"picked": "y"})
            client.post(f"/operators/founders/{founder.id}", data={
                "status": "verified", "legal_name": f"Legal {i}", "note": f"Passport {i}"})
        with count_queries(app) as statements:
            page = client.get("/operators/audit").get_data(as_text=True)
        return page, len(statements)

    with app.app_context():
        small, queries_small = act(1)
        large, queries_large = act(3)
    assert "Picked 2" in large and "Picked" in small and "Olga" in large
    assert "Checked founder 2" in large and "Passport 2" in large
    assert queries_large == queries_small
