"""The pledge pages with the in-process gateway: bad input, ownership, the founder's view."""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import make_campaign, make_pledge, make_tier, make_user

P = PledgeStatus


@pytest.fixture
def scene(session, auth):
    founder = make_user(name="Founder")
    campaign = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0, goal_minor=100_000)
    tier = make_tier(campaign, minimum_minor=2500, limit=5)
    ships = make_tier(campaign, minimum_minor=4000, ships=True)
    other = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    foreign = make_tier(other)
    backer = make_user(name="Backer")
    session.commit()
    auth.login_as(backer)
    return dict(founder=founder, campaign=campaign, tier=tier, ships=ships, foreign=foreign,
                backer=backer)


def _count(app, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(*where))


def _activate(app, client, pledge_id):
    client.get(f"/pledges/{pledge_id}/card")
    with app.app_context():
        fake = current_gateway()
        fake.confirm_setup(db.session.get(Pledge, pledge_id).setup_intent_id)
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": "x"})


def test_pledge_page_lists_rewards(client, scene):
    html = client.get(f"/campaigns/{scene['campaign'].slug}/pledge?tier={scene['tier'].id}")
    text = html.get_data(as_text=True)
    assert html.status_code == 200 and "5 left" in text and "No reward" in text
    assert re.search(rf'<input checked[^>]*value="{scene["tier"].id}"', text)
    assert 'value="25.00"' in text  # the reward's minimum, ready to raise


@pytest.mark.parametrize(
    ("data", "message"),
    [({"amount": "24.99"}, "Pledge at least $25.00 for this reward."),
     ({"amount": "-5"}, "The amount cannot be negative."),
     ({"amount": "abc"}, "Enter an amount such as 25 or 25.50."),
     ({"amount": ""}, "Enter how much you pledge."),
     ({"amount": "10.001"}, "at most 2 decimal places"),
     ({"amount": "99999999999"}, "A pledge can be at most"),
     ({"amount": "1e9"}, "Enter an amount"),
     ({"tier": "999999"}, "Choose one of the rewards"),
     ({"tier": "foreign"}, "Choose one of the rewards"),
     ({"tier": "abc"}, "Choose one of the rewards"),
     ({"tier": "99999999999999999999"}, "Choose one of the rewards"),
     ({"tier": "ships", "amount": "45"}, "Choose where to ship"),
     ({"tier": "ships", "amount": "45", "destination": "FR"}, "Pledge at least $55.00"),
     ({"tier": "ships", "amount": "60", "destination": "ZZ"}, "Choose a country from the list")],
)
def test_bad_pledges_get_clear_errors_and_write_nothing(app, client, scene, data, message):
    form = {"tier": str(scene["tier"].id), "amount": "30"}
    for key, value in data.items():
        form[key] = str(scene[value].id) if value in ("foreign", "ships") else value
    response = client.post(f"/campaigns/{scene['campaign'].slug}/pledge", data=form)
    assert response.status_code == 400, response.status_code
    assert message in response.get_data(as_text=True)
    assert _count(app) == 0
    with app.app_context():
        assert db.session.get(RewardTier, scene["tier"].id).claimed == 0


@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.SUBMITTED,
                                    CampaignStatus.APPROVED])
def test_unlaunched_campaigns_have_no_pledge_page(app, client, session, scene, status):
    draft = make_campaign(scene["founder"], status=status)
    session.commit()
    assert client.get(f"/campaigns/{draft.slug}/pledge").status_code == 404
    response = client.post(f"/campaigns/{draft.slug}/pledge", data={"tier": "none",
                                                                     "amount": "10"})
    assert response.status_code == 404 and _count(app) == 0


def test_ended_campaign_refuses_pledges(app, client, session, scene):
    with app.app_context():
        campaign = db.session.get(type(scene["campaign"]), scene["campaign"].id)
        campaign.deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.post(f"/campaigns/{scene['campaign'].slug}/pledge",
                           data={"tier": "none", "amount": "10"})
    assert response.status_code == 409 and "pledges are closed" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_founder_cannot_back_own_campaign(app, client, auth, scene):
    auth.logout()
    auth.login_as(scene["founder"])
    page = client.get(f"/campaigns/{scene['campaign'].slug}").get_data(as_text=True)
    assert "Back this campaign" not in page and "Select this reward" not in page
    form = client.get(f"/campaigns/{scene['campaign'].slug}/pledge", follow_redirects=True)
    assert form.request.path == f"/campaigns/{scene['campaign'].slug}"  # never the form
    assert "founders cannot back it" in form.get_data(as_text=True)
    response = client.post(f"/campaigns/{scene['campaign'].slug}/pledge",
                           data={"tier": "none", "amount": "10"})
    assert response.status_code == 403 and "cannot back your own" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_full_flow_and_one_pledge_per_backer(app, client, scene):
    slug = scene["campaign"].slug
    response = client.post(f"/campaigns/{slug}/pledge", data={"tier": str(scene["tier"].id),
                                                              "amount": "30"})
    pledge_id = int(response.headers["Location"].split("/")[2])
    _activate(app, client, pledge_id)
    assert _count(app, Pledge.status == P.ACTIVE) == 1
    again = client.get(f"/campaigns/{slug}/pledge")
    assert again.status_code == 302 and again.headers["Location"] == f"/pledges/{pledge_id}/edit"
    page = client.get(f"/campaigns/{slug}").get_data(as_text=True)
    assert "You back this: $30.00" in page and "$30.00" in page
    changed = client.post(f"/pledges/{pledge_id}/edit", data={"tier": "none", "amount": "12"})
    assert changed.status_code == 302
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert pledge.amount_minor == 1200 and pledge.tier_id is None
        assert db.session.get(RewardTier, scene["tier"].id).claimed == 0
    mine = client.get("/pledges").get_data(as_text=True)
    assert scene["campaign"].title in mine and "$12.00" in mine


def test_sold_out_tier_through_the_page(app, client, session, scene):
    with app.app_context():
        db.session.get(RewardTier, scene["tier"].id).claimed = 5
        db.session.commit()
    page = client.get(f"/campaigns/{scene['campaign'].slug}").get_data(as_text=True)
    assert "Sold out" in page
    response = client.post(f"/campaigns/{scene['campaign'].slug}/pledge",
                           data={"tier": str(scene["tier"].id), "amount": "30"})
    assert response.status_code == 409 and "is sold out" in response.get_data(as_text=True)


def test_last_day_rule_is_explained(app, client, session, scene):
    slug = scene["campaign"].slug
    response = client.post(f"/campaigns/{slug}/pledge", data={"tier": "none", "amount": "1000"})
    pledge_id = int(response.headers["Location"].split("/")[2])
    _activate(app, client, pledge_id)
    with app.app_context():
        campaign = db.session.get(type(scene["campaign"]), scene["campaign"].id)
        campaign.deadline = utcnow() + timedelta(hours=5)
        db.session.commit()
    response = client.post(f"/pledges/{pledge_id}/cancel", follow_redirects=True)
    assert "In the last 24 hours you cannot cancel" in response.get_data(as_text=True)
    lower = client.post(f"/pledges/{pledge_id}/edit", data={"tier": "none", "amount": "10"})
    assert lower.status_code == 409
    assert _count(app, Pledge.status == P.ACTIVE, Pledge.amount_minor == 100_000) == 1


def test_other_peoples_pledges_do_not_exist(app, client, auth, session, scene):
    theirs = make_pledge(scene["campaign"], make_user())
    session.commit()
    for method, url in [("GET", f"/pledges/{theirs.id}"), ("GET", f"/pledges/{theirs.id}/card"),
                        ("POST", f"/pledges/{theirs.id}/card"),
                        ("GET", f"/pledges/{theirs.id}/edit"),
                        ("POST", f"/pledges/{theirs.id}/edit"),
                        ("POST", f"/pledges/{theirs.id}/cancel"),
                        ("GET", "/pledges/999999")]:
        response = client.open(url, method=method, data={"tier": "none", "amount": "1"})
        assert response.status_code == 404, (method, url)
    with app.app_context():
        assert db.session.get(Pledge, theirs.id).status is P.ACTIVE


def test_anonymous_visitors_sign_in_first(client, auth, scene):
    auth.logout()
    response = client.get(f"/campaigns/{scene['campaign'].slug}/pledge")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_founder_sees_backers_and_exports_csv(app, client, auth, session, scene):
    make_pledge(scene["campaign"], make_user(name="=HYPERLINK(\"evil\")"), amount_minor=4500,
                tier=scene["tier"])
    make_pledge(scene["campaign"], make_user(name="Quiet Backer"), status=P.PENDING)
    changed = make_pledge(scene["campaign"], make_user(name="Changed Mind"),
                          status=P.CANCELLED)
    changed.payment_method_id = "pm_saved"  # backed with a card, then cancelled
    # Went back and submitted the form again before adding a card: an attempt, no backer.
    make_pledge(scene["campaign"], make_user(name="Second Try"), status=P.CANCELLED)
    session.commit()
    auth.logout()
    auth.login_as(scene["founder"])
    page = client.get(f"/studio/{scene['campaign'].id}/backers").get_data(as_text=True)
    assert "Changed Mind" in page and "Quiet Backer" not in page and "$45.00" in page
    assert "Second Try" not in page
    export = client.get(f"/studio/{scene['campaign'].id}/backers.csv")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert {r["status"] for r in rows} == {"active", "cancelled"} and len(rows) == 2
    evil = next(r for r in rows if "HYPERLINK" in r["backer"])
    assert evil["backer"].startswith("'=") and evil["amount"] == "45.00"
    auth.logout()
    auth.login_as(scene["backer"])
    assert client.get(f"/studio/{scene['campaign'].id}/backers.csv").status_code == 404


def test_a_card_that_will_have_expired_by_the_deadline_is_refused_when_saved(app, client,
                                                                             session, scene):
    from datetime import timedelta

    from crowdfund.db import utcnow

    campaign = scene["campaign"]
    campaign.deadline = utcnow() + timedelta(days=60)  # past the end of this month
    session.commit()
    response = client.post(f"/campaigns/{campaign.slug}/pledge",
                           data={"tier": "none", "amount": "10"})
    pledge_id = int(response.headers["Location"].split("/")[2])
    now = utcnow()
    for month, year, refused in ((1, 2020, "cannot be charged now"),
                                 (now.month, now.year, "cannot be charged at the deadline")):
        client.get(f"/pledges/{pledge_id}/card")
        with app.app_context():
            current_gateway().confirm_setup(db.session.get(Pledge, pledge_id).setup_intent_id,
                                            exp_month=month, exp_year=year)
        page = client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": "x"},
                           follow_redirects=True).get_data(as_text=True)
        assert f"This card expires {month:02d}/{year}" in page and refused in page
        assert _count(app, Pledge.status == P.PENDING) == 1  # not active, nothing saved
        with app.app_context():
            assert db.session.get(Pledge, pledge_id).payment_method_id is None
    _activate(app, client, pledge_id)  # a card good until 12/2034
    assert _count(app, Pledge.status == P.ACTIVE) == 1
