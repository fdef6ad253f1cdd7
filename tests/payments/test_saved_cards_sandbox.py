"""Saved cards through the pages, with the real `stripe` library against the sandbox over
HTTP: a second pledge paid with the first one's card, 3-D Secure asked again, removal
detaching the card at the gateway, and another person's card refused."""

import re

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.gateway import InvalidRequest
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.factories import make_campaign, make_user
from tests.sandbox import OK, THREE_DS

P = PledgeStatus


@pytest.fixture
def scene(session, auth, stripe_sandbox):
    first = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=50_000,
                          title="Tide clock")
    second = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=50_000,
                           title="Paper lanterns")
    backer = make_user(name="Backer")
    session.commit()
    auth.login_as(backer)
    return {"first": first, "second": second, "backer": backer}


def _start(client, campaign, amount="30") -> int:
    response = client.post(f"/campaigns/{campaign.slug}/pledge",
                           data={"tier": "none", "amount": amount})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/pledges/(\d+)/card", response.headers["Location"]).group(1))


def _card_page(client, pledge_id) -> str:
    page = client.get(f"/pledges/{pledge_id}/card")
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    return page.get_data(as_text=True)


def _secret(html: str) -> str:
    return re.search(r'data-client-secret="([^"]+)"', html).group(1)


def _pledge_with_new_card(client, sandbox, campaign, number=OK) -> Pledge:
    """A pledge whose card is typed in the card form (3-D Secure completed)."""
    pledge_id = _start(client, campaign)
    html = _card_page(client, pledge_id)
    secret = _secret(html)
    if sandbox.confirm_setup(secret, number)["status"] == "requires_action":
        sandbox.confirm_setup(secret)
    intent = re.search(r'name="setup_intent" type="hidden" value="([^"]+)"', html).group(1)
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": intent})
    pledge = _row(pledge_id)
    assert pledge.status is P.ACTIVE
    return pledge


def _row(pledge_id) -> Pledge:
    db.session.expire_all()
    return db.session.get(Pledge, pledge_id)


def test_a_second_pledge_paid_with_the_first_pledges_card_is_active(client, scene,
                                                                     stripe_sandbox):
    first = _pledge_with_new_card(client, stripe_sandbox, scene["first"])
    pledge_id = _start(client, scene["second"])
    html = _card_page(client, pledge_id)
    assert "Your saved cards" in html and "Visa ending in 4242, expires 12/2034" in html
    assert f'value="{first.payment_method_id}"' in html
    response = client.post(f"/pledges/{pledge_id}/card/saved",
                           data={"payment_method": first.payment_method_id},
                           follow_redirects=True)
    assert "Thank you! Your pledge is active." in response.get_data(as_text=True)
    second = _row(pledge_id)
    assert second.status is P.ACTIVE and second.payment_method_id == first.payment_method_id
    seti = stripe_sandbox.get(f"/v1/setup_intents/{second.setup_intent_id}")
    assert seti["status"] == "succeeded" and seti["payment_method"] == first.payment_method_id
    assert seti["metadata"]["pledge_id"] == str(pledge_id)
    assert seti["customer"] == db.session.scalar(sa.select(User.payment_customer_id).where(
        User.id == scene["backer"].id))


def test_a_3ds_card_reused_asks_again_and_activates_only_after_it(client, scene,
                                                                  stripe_sandbox):
    first = _pledge_with_new_card(client, stripe_sandbox, scene["first"], THREE_DS)
    pledge_id = _start(client, scene["second"])
    response = client.post(f"/pledges/{pledge_id}/card/saved",
                           data={"payment_method": first.payment_method_id})
    assert response.headers["Location"].endswith(f"/pledges/{pledge_id}/card")
    pledge = _row(pledge_id)
    assert pledge.status is P.PENDING
    seti = stripe_sandbox.get(f"/v1/setup_intents/{pledge.setup_intent_id}")
    assert seti["status"] == "requires_action"
    html = _card_page(client, pledge_id)  # the page runs 3-D Secure on that SetupIntent
    assert 'id="setup-auth-form"' in html and _secret(html) == seti["client_secret"]
    # Posting without completing it changes nothing: the server reads the SetupIntent.
    refused = client.post(f"/pledges/{pledge_id}/card",
                          data={"setup_intent": pledge.setup_intent_id}, follow_redirects=True)
    assert "Your card has not been confirmed yet" in refused.get_data(as_text=True)
    assert _row(pledge_id).status is P.PENDING
    assert stripe_sandbox.confirm_setup(seti["client_secret"])["status"] == "succeeded"
    client.post(f"/pledges/{pledge_id}/card", data={"setup_intent": pledge.setup_intent_id})
    assert _row(pledge_id).status is P.ACTIVE


def test_removing_a_card_detaches_it_at_the_sandbox(client, scene, stripe_sandbox):
    first = _pledge_with_new_card(client, stripe_sandbox, scene["first"])
    pm = first.payment_method_id
    in_use = client.post(f"/account/cards/{pm}/remove", follow_redirects=True)
    assert "This card pays for your pledges to: “Tide clock”" in in_use.get_data(as_text=True)
    assert stripe_sandbox.get(f"/v1/payment_methods/{pm}")["customer"] is not None
    client.post(f"/pledges/{first.id}/cancel")
    page = client.get("/account/cards").get_data(as_text=True)
    assert "Visa ending in 4242" in page and "nothing now" in page
    removed = client.post(f"/account/cards/{pm}/remove", follow_redirects=True)
    assert "The card ending in 4242 is removed" in removed.get_data(as_text=True)
    assert "You have no saved cards." in removed.get_data(as_text=True)
    assert stripe_sandbox.get(f"/v1/payment_methods/{pm}")["customer"] is None


def test_another_persons_card_is_refused(app, client, auth, scene, stripe_sandbox):
    theirs = _pledge_with_new_card(client, stripe_sandbox, scene["first"])
    auth.logout()
    auth.login_as(make_user(name="Someone else"))
    db.session.commit()
    pledge_id = _start(client, scene["second"])
    assert f'value="{theirs.payment_method_id}"' not in _card_page(client, pledge_id)
    assert client.post(f"/pledges/{pledge_id}/card/saved",
                       data={"payment_method": theirs.payment_method_id}).status_code == 404
    assert client.post(f"/account/cards/{theirs.payment_method_id}/remove").status_code == 404
    assert _row(pledge_id).setup_intent_id is not None and _row(pledge_id).status is P.PENDING
    assert stripe_sandbox.get(f"/v1/payment_methods/{theirs.payment_method_id}")["customer"]
    # The sandbox refuses it too, as Stripe does: a card of another customer.
    mine = db.session.scalar(sa.select(User.payment_customer_id).where(
        User.id != scene["backer"].id, User.payment_customer_id.is_not(None)))
    with pytest.raises(InvalidRequest, match="belongs to another customer"):
        current_gateway().create_setup_intent(
            customer_id=mine, metadata={"pledge_id": str(pledge_id)},
            idempotency_key="test-other-card", payment_method_id=theirs.payment_method_id)


def _saved_on_new_customer(gw, sandbox, number, key):
    customer = gw.create_customer(email=f"{key}@example.com", name=key,
                                  idempotency_key=f"{key}-cus")
    intent = gw.create_setup_intent(customer_id=customer, metadata={"pledge_id": "1"},
                                    idempotency_key=f"{key}-setup-1")
    answer = sandbox.confirm_setup(intent.client_secret, number)
    if answer["status"] == "requires_action":
        sandbox.confirm_setup(intent.client_secret)
    pm = gw.retrieve_setup_intent(intent.id).payment_method_id
    gw.attach_payment_method(pm, customer)
    return customer, pm


def test_the_adapter_lists_a_customers_cards_and_sets_one_up_again(app, stripe_sandbox):
    with app.app_context():
        gw = current_gateway()
    customer, pm = _saved_on_new_customer(gw, stripe_sandbox, OK, "a")
    _other, theirs = _saved_on_new_customer(gw, stripe_sandbox, THREE_DS, "b")
    assert [(c.payment_method_id, c.customer_id, c.last4) for c in gw.list_cards(customer)] == [
        (pm, customer, "4242")]
    again = gw.create_setup_intent(customer_id=customer, metadata={"pledge_id": "2"},
                                   idempotency_key="a-setup-2", payment_method_id=pm)
    assert again.status == "succeeded" and again.payment_method_id == pm
    replay = gw.create_setup_intent(customer_id=customer, metadata={"pledge_id": "2"},
                                    idempotency_key="a-setup-2", payment_method_id=pm)
    assert replay.id == again.id  # the key replays the first answer
    asks = gw.create_setup_intent(customer_id=_other, metadata={"pledge_id": "3"},
                                  idempotency_key="b-setup-2", payment_method_id=theirs)
    assert asks.status == "requires_action"  # 3-D Secure again, every time
    gw.detach_payment_method(pm)
    assert gw.list_cards(customer) == []
