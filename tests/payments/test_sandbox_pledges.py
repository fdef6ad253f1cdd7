"""The pledge flow with the real `stripe` library against the local sandbox over HTTP."""

import re

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import make_campaign, make_tier, make_user

P = PledgeStatus


@pytest.fixture
def scene(session, auth, stripe_sandbox):
    founder = make_user(name="Founder")
    campaign = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0, goal_minor=50_000)
    tier = make_tier(campaign, minimum_minor=2500, limit=10)
    backer = make_user(name="Backer")
    session.commit()
    auth.login_as(backer)
    return {"campaign": campaign, "tier": tier, "backer": backer, "founder": founder}


def _pledge(app, client, scene, amount="30"):
    response = client.post(f"/campaigns/{scene['campaign'].slug}/pledge",
                           data={"tier": str(scene["tier"].id), "amount": amount})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    pledge_id = int(re.search(r"/pledges/(\d+)/card", response.headers["Location"]).group(1))
    return pledge_id


def _card_page(client, pledge_id, **query):
    page = client.get(f"/pledges/{pledge_id}/card", query_string=query)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    html = page.get_data(as_text=True)
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    intent = re.search(r'name="setup_intent" type="hidden" value="([^"]+)"', html).group(1)
    return html, secret, intent


def _pledge_row(app, pledge_id) -> Pledge:
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        db.session.expunge(pledge)
        return pledge


def test_4242_makes_an_active_pledge(app, client, scene, stripe_sandbox):
    pledge_id = _pledge(app, client, scene)
    html, secret, intent = _card_page(client, pledge_id)
    assert f"{stripe_sandbox.base}/js.stripe.com/v3/" in html and "pk_test_suite" in html
    assert stripe_sandbox.confirm_setup(secret, "4242424242424242")["status"] == "succeeded"
    response = client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Thank you! Your pledge is active." in text and "ending in 4242" in text
    assert "You will be charged $30.00 only if" in text
    pledge = _pledge_row(app, pledge_id)
    assert pledge.status is P.ACTIVE and pledge.card_brand == "visa"
    # Read back from the sandbox: the card is saved on the backer's customer.
    pm = stripe_sandbox.get(f"/v1/payment_methods/{pledge.payment_method_id}")
    with app.app_context():
        customer = db.session.scalar(sa.select(User.payment_customer_id).where(
            User.id == scene["backer"].id))
    assert pm["customer"] == customer and customer.startswith("cus_")
    seti = stripe_sandbox.get(f"/v1/setup_intents/{intent}")
    assert seti["usage"] == "off_session" and seti["metadata"]["pledge_id"] == str(pledge_id)


def test_declined_card_is_refused_with_a_message(app, client, scene, stripe_sandbox):
    pledge_id = _pledge(app, client, scene)
    _, secret, intent = _card_page(client, pledge_id)
    answer = stripe_sandbox.confirm_setup(secret, "4000000000000002")
    assert answer["error"]["message"] == "Your card was declined."
    # The browser shows that message and stays; if it posted anyway, we read the truth.
    response = client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent},
                           follow_redirects=True)
    assert response.status_code == 200
    assert _pledge_row(app, pledge_id).status is P.PENDING
    with app.app_context():
        active = db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
            Pledge.status == P.ACTIVE))
    assert active == 0
    # The card page offers a new setup to try another card (the sandbox cancelled the old).
    _, secret2, intent2 = _card_page(client, pledge_id)
    assert intent2 != intent
    stripe_sandbox.confirm_setup(secret2, "4242424242424242")
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent2})
    assert _pledge_row(app, pledge_id).status is P.ACTIVE


def test_3d_secure_card_goes_through_authentication(app, client, scene, stripe_sandbox):
    pledge_id = _pledge(app, client, scene)
    _, secret, intent = _card_page(client, pledge_id)
    assert stripe_sandbox.confirm_setup(secret, "4000002500003155")["status"] == "requires_action"
    early = client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent},
                        follow_redirects=True)
    assert "not been confirmed" in early.get_data(as_text=True)
    assert _pledge_row(app, pledge_id).status is P.PENDING
    assert stripe_sandbox.confirm_setup(secret)["status"] == "succeeded"  # "Complete auth"
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent})
    pledge = _pledge_row(app, pledge_id)
    assert pledge.status is P.ACTIVE and pledge.card_last4 == "3155"


def test_replace_card(app, client, scene, stripe_sandbox):
    pledge_id = _pledge(app, client, scene)
    _, secret, intent = _card_page(client, pledge_id)
    stripe_sandbox.confirm_setup(secret, "4242424242424242")
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent})
    old = _pledge_row(app, pledge_id).payment_method_id
    html, secret2, intent2 = _card_page(client, pledge_id)
    assert "Replace your card" in html and intent2 != intent
    stripe_sandbox.confirm_setup(secret2, "4000000000000341")
    response = client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent2},
                           follow_redirects=True)
    assert "Your card is updated." in response.get_data(as_text=True)
    pledge = _pledge_row(app, pledge_id)
    assert pledge.status is P.ACTIVE and pledge.card_last4 == "0341"
    assert pledge.payment_method_id != old and pledge.setup_attempts == 2


def test_cancel_through_the_page(app, client, scene, stripe_sandbox):
    pledge_id = _pledge(app, client, scene)
    _, secret, intent = _card_page(client, pledge_id)
    stripe_sandbox.confirm_setup(secret, "4242424242424242")
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent})
    response = client.post(f"/pledges/{pledge_id}/cancel", follow_redirects=True)
    assert "You will not be charged" in response.get_data(as_text=True)
    assert _pledge_row(app, pledge_id).status is P.CANCELLED


def test_one_pledge_per_backer_and_no_self_backing(app, client, auth, scene, stripe_sandbox):
    pledge_id = _pledge(app, client, scene)
    _, secret, intent = _card_page(client, pledge_id)
    stripe_sandbox.confirm_setup(secret, "4242424242424242")
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent})
    again = client.post(f"/campaigns/{scene['campaign'].slug}/pledge",
                        data={"tier": "none", "amount": "5"})
    assert again.headers["Location"] == f"/pledges/{pledge_id}/edit"
    auth.logout()
    auth.login_as(scene["founder"])
    own = client.post(f"/campaigns/{scene['campaign'].slug}/pledge",
                      data={"tier": "none", "amount": "5"})
    assert own.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 1
        assert db.session.scalar(sa.select(User.payment_customer_id).where(
            User.id == scene["founder"].id)) is None


def test_last_day_rule_with_saved_cards(app, client, scene, stripe_sandbox):
    from datetime import timedelta

    from crowdfund.campaigns.models import Campaign
    from crowdfund.db import utcnow

    pledge_id = _pledge(app, client, scene, amount="600")  # goal is $500
    _, secret, intent = _card_page(client, pledge_id)
    stripe_sandbox.confirm_setup(secret, "4242424242424242")
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent})
    with app.app_context():
        db.session.get(Campaign, scene["campaign"].id).deadline = utcnow() + timedelta(hours=3)
        db.session.commit()
    refused = client.post(f"/pledges/{pledge_id}/cancel", follow_redirects=True)
    assert "In the last 24 hours you cannot cancel" in refused.get_data(as_text=True)
    assert client.post(f"/pledges/{pledge_id}/edit", data={
        "tier": str(scene["tier"].id), "amount": "520"}).status_code == 302  # still >= goal
    assert _pledge_row(app, pledge_id).amount_minor == 52_000
