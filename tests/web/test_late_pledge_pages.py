"""Late pledges through the pages (fake gateway, no scripts): the founder's choice in the
studio (bad input next to its field, nothing written; never for an offering), the campaign
page offering "Pledge late", the form at the late price, the card page charging at once,
the totals shown apart, and the backers CSV."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.extensions import db
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import CARDS, back, ended, make_campaign, make_tier, make_user

S, P = CampaignStatus, PledgeStatus


def test_the_founder_chooses_late_pledges_with_a_price_per_reward(app, client, session,
                                                                  founder):
    campaign = make_campaign(founder, status=S.LIVE, tiers=2)
    session.commit()
    first, second = (t.id for t in campaign.tiers)
    assert client.get(f"/studio/{campaign.id}/late").status_code == 200
    response = client.post(f"/studio/{campaign.id}/late", data={
        "accept": "yes", "days": "14", f"late_price_{first}": "35", f"late_price_{second}": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(Campaign, campaign.id)
        assert saved.late_pledge_days == 14
        tiers = {t.id: t for t in saved.tiers}
        assert (tiers[first].late_price_minor, tiers[second].late_price_minor) == (3500, None)
        assert tiers[second].late_price == tiers[second].minimum
    page = client.get(f"/studio/{campaign.id}/late").get_data(as_text=True)
    assert 'value="35.00"' in page or 'value="35"' in page


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"accept": "yes", "days": "61"}, "days", "Choose from 1 to 60 days."),
    ({"accept": "yes", "days": ""}, "days", "Enter a number of days."),
    ({"accept": "yes", "days": "5", "price": "abc"}, "price", "Enter an amount such as 25"),
])
def test_bad_input_is_shown_at_its_field_and_nothing_is_written(app, client, session, founder,
                                                                data, field, message):
    campaign = make_campaign(founder, status=S.LIVE, tiers=1)
    session.commit()
    tier_id = campaign.tiers[0].id
    if "price" in data:
        data = {**data, f"late_price_{tier_id}": data.pop("price")}
        field = f"late_price_{tier_id}"
    response = client.post(f"/studio/{campaign.id}/late", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    with app.app_context():
        assert db.session.get(Campaign, campaign.id).late_pledge_days is None
        assert db.session.get(RewardTier, tier_id).late_price_minor is None


def test_an_offering_has_no_late_pledges_page(client, session, founder):
    offering = make_campaign(founder, status=S.LIVE, kind=CampaignKind.EQUITY)
    session.commit()
    assert client.get(f"/studio/{offering.id}/late").status_code == 404


@pytest.fixture
def late_open(session, gw, settler):
    """A funded campaign, charged, taking late pledges for 10 days ($25 reward, late $30)."""
    campaign = make_campaign(make_user(verified=True), status=S.LIVE, tiers=0,
                             goal_minor=2500)
    tier = make_tier(campaign, minimum_minor=2500)
    tier.late_price_minor, campaign.late_pledge_days = 3000, 10
    back(campaign, gw, "ok", "25", tier)
    ended(campaign)
    session.commit()
    settler.settle(campaign.id)
    return campaign.id, tier.id


def test_a_backer_pledges_late_through_the_pages_and_it_shows_apart(app, client, auth, session,
                                                                    late_open):
    campaign_id, tier_id = late_open
    backer = make_user()
    session.commit()
    auth.login_as(backer)
    slug = session.get(Campaign, campaign_id).slug
    page = client.get(f"/campaigns/{slug}").get_data(as_text=True)
    assert "takes late pledges until" in page and f"/campaigns/{slug}/late" in page

    too_little = client.post(f"/campaigns/{slug}/late", data={"tier": str(tier_id),
                                                              "amount": "29"})
    assert too_little.status_code == 400
    assert "Pledge at least $30.00 for this reward." in too_little.get_data(as_text=True)
    response = client.post(f"/campaigns/{slug}/late", data={"tier": str(tier_id),
                                                            "amount": "30"})
    assert response.status_code == 302
    card_page = response.headers["Location"]
    assert client.get(card_page).status_code == 200
    with app.app_context():
        pledge = db.session.scalar(sa.select(Pledge).where(Pledge.late.is_(True)))
        gw = current_gateway()
        gw.confirm_setup(pledge.setup_intent_id, CARDS["ok"])
        pledge_id, intent = pledge.id, pledge.setup_intent_id
    paid = client.post(f"/pledges/{pledge_id}/late/card", data={"setup_intent": intent})
    assert paid.status_code == 302 and paid.headers["Location"].endswith(f"/pledges/{pledge_id}")
    with app.app_context():
        assert db.session.get(Pledge, pledge_id).status is P.COLLECTED
        assert db.session.get(Campaign, campaign_id).pledged_at_deadline_minor == 2500

    page = client.get(f"/campaigns/{slug}").get_data(as_text=True)
    assert "Late pledges: $30.00 from 1 backer" in page
    assert "$25.00" in page  # the total at the deadline, unchanged

    founder_id = session.get(Campaign, campaign_id).founder_id
    client.post("/logout")
    auth.login_as(session.get(type(backer), founder_id))
    backers = client.get(f"/studio/{campaign_id}/backers").get_data(as_text=True)
    assert "Late pledges: $30.00 from 1 backer" in backers
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/studio/{campaign_id}/backers.csv").get_data(as_text=True))))
    assert sorted((r["amount"], r["late"]) for r in rows) == [("25.00", "no"), ("30.00", "yes")]


def test_the_late_form_refuses_when_the_window_is_closed(client, auth, session, late_open):
    campaign_id, tier_id = late_open
    campaign = session.get(Campaign, campaign_id)
    campaign.late_pledge_days = None
    slug = campaign.slug
    auth.login_as(make_user())
    session.commit()
    response = client.get(f"/campaigns/{slug}/late")
    assert response.status_code == 302
    assert "Pledge late" not in client.get(f"/campaigns/{slug}").get_data(as_text=True)
