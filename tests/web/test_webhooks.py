"""POST /webhooks/stripe: verified on the raw body, processed once, 400 for anything else."""

import hashlib
import hmac
import json
import time

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.models import WebhookEvent
from crowdfund.payments.stripe_gateway import StripeGateway
from crowdfund.pledges import services
from crowdfund.pledges.models import Pledge, PledgeStatus, PledgeTransition
from tests.factories import make_campaign, make_user

SECRET = "whsec_testing"


def sign(payload: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: HMAC-SHA256 of "<timestamp>.<payload>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event(event_id: str, type_: str, obj: dict) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": type_, "created":
                       int(time.time()), "data": {"object": obj}}).encode()


@pytest.fixture
def stripe_verifier(app):
    """The real Stripe adapter's verification (no network needed), with a fake gateway's
    objects behind it for the handlers."""
    fake = current_gateway()
    real = StripeGateway(secret_key="sk_test_x", publishable_key="pk_test_x",
                         webhook_secret=SECRET, api_base="http://127.0.0.1:9",
                         max_network_retries=0)
    fake.construct_event = real.construct_event
    return fake


@pytest.fixture
def pending(session, stripe_verifier):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    backer = make_user()
    pledge = services.start_pledge(backer, campaign, None, Money(2000, "USD"), None)
    intent = services.ensure_setup_intent(pledge, backer, stripe_verifier)
    stripe_verifier.confirm_setup(intent.id)
    session.commit()
    return pledge, intent


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_valid_event_is_processed_once_even_if_delivered_three_times(app, client, pending):
    pledge, intent = pending
    body = event("evt_1", "setup_intent.succeeded", {"id": intent.id, "object": "setup_intent"})
    outcomes = []
    for _ in range(3):
        response = client.post("/webhooks/stripe", data=body,
                               headers={"Stripe-Signature": sign(body),
                                        "Content-Type": "application/json"})
        assert response.status_code == 200
        outcomes.append(response.json["outcome"])
    assert outcomes == [f"pledge {pledge.id} confirmed", "duplicate", "duplicate"]
    assert _count(app, WebhookEvent) == 1
    assert _count(app, PledgeTransition, PledgeTransition.to_status == PledgeStatus.ACTIVE) == 1
    with app.app_context():
        assert db.session.get(Pledge, pledge.id).status is PledgeStatus.ACTIVE


def test_events_in_any_order_read_current_state(app, client, pending):
    pledge, intent = pending
    first = event("evt_a", "setup_intent.succeeded", {"id": intent.id})
    client.post("/webhooks/stripe", data=first, headers={"Stripe-Signature": sign(first)})
    late = event("evt_b", "setup_intent.succeeded", {"id": intent.id})
    response = client.post("/webhooks/stripe", data=late, headers={"Stripe-Signature": sign(late)})
    assert response.json["outcome"] == f"pledge {pledge.id} already done"
    unknown = event("evt_c", "customer.created", {"id": "cus_x"})
    response = client.post("/webhooks/stripe", data=unknown,
                           headers={"Stripe-Signature": sign(unknown)})
    assert response.status_code == 200 and response.json["outcome"] == "no handler"


@pytest.mark.parametrize("attack", ["tampered", "old", "wrong secret", "no header", "garbage"])
def test_unverified_deliveries_get_400_and_change_nothing(app, client, pending, attack):
    pledge, intent = pending
    body = event("evt_2", "setup_intent.succeeded", {"id": intent.id})
    headers = {"Stripe-Signature": sign(body)}
    if attack == "tampered":
        body = body.replace(b"evt_2", b"evt_3")
    elif attack == "old":
        headers = {"Stripe-Signature": sign(body, timestamp=int(time.time()) - 301)}
    elif attack == "wrong secret":
        headers = {"Stripe-Signature": sign(body, secret="whsec_other")}
    elif attack == "no header":
        headers = {}
    else:
        headers = {"Stripe-Signature": "t=abc,v1=zzz"}
    response = client.post("/webhooks/stripe", data=body, headers=headers)
    assert response.status_code == 400
    assert _count(app, WebhookEvent) == 0
    with app.app_context():
        assert db.session.get(Pledge, pledge.id).status is PledgeStatus.PENDING


def test_no_secret_configured_means_400(app, client, pending):
    _, intent = pending
    unconfigured = StripeGateway(secret_key="sk_test_x", publishable_key="pk_test_x",
                                 webhook_secret=None, api_base="http://127.0.0.1:9")
    current_gateway().construct_event = unconfigured.construct_event
    body = event("evt_4", "setup_intent.succeeded", {"id": intent.id})
    response = client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(body)})
    assert response.status_code == 400 and _count(app, WebhookEvent) == 0


def test_only_signed_routes_go_without_csrf(app, client):
    """The gateway's webhook (signed by it) and unsubscribing (a signed token a mail client
    posts with one click): no other route skips the form token."""
    app.config["WTF_CSRF_ENABLED"] = True
    body = event("evt_5", "customer.created", {"id": "cus_1"})
    response = client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(body)})
    assert response.status_code == 200
    exempt = {name for name in app.extensions["csrf"]._exempt_views}
    assert exempt == {"crowdfund.payments.webhooks.stripe_webhook",
                      "crowdfund.auth.choices_routes.unsubscribe"}
