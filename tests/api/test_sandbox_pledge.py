"""End to end through the API against the sandbox over HTTP and the real Stripe adapter: a
pledge made through the API, its SetupIntent confirmed with the publishable key and the
client secret as Stripe's mobile SDKs do, read back by the server, charged when the
campaign settles; a 3-D Secure card asks again and activates only once confirmed."""

from __future__ import annotations

from crowdfund.auth.api_tokens import Scope
from crowdfund.extensions import db
from crowdfund.payments.sandbox_client import confirm_setup_as_browser
from tests.factories import make_user
from tests.sandbox import OK, THREE_DS, end, new_campaign, sandbox_charges, settler


def _pledge(client, headers, campaign_id: int, amount_minor: int):
    made = client.post("/api/v1/me/pledges", headers=headers, json={
        "campaign_id": str(campaign_id), "amount_minor": amount_minor, "currency": "USD"})
    assert made.status_code == 201, made.json
    return made.json


def test_a_pledge_made_through_the_api_is_charged_when_the_campaign_settles(
        app, client, bearer, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=5_000)
    headers = bearer(make_user(), Scope.READ, Scope.PLEDGE)
    made = _pledge(client, headers, campaign_id, 7_500)
    intent = made["setup_intent"]
    assert intent["publishable_key"] == "pk_test_suite"
    answer = confirm_setup_as_browser(stripe_sandbox.base, intent["client_secret"], OK,
                                      publishable_key=intent["publishable_key"])
    assert answer["status"] == "succeeded"
    confirmed = client.post(f"/api/v1/me/pledges/{made['id']}/confirm", headers=headers)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "active"

    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.counts == {"succeeded": 1}, report
    charges = sandbox_charges(stripe_sandbox, campaign_id)
    assert [(c["metadata"]["pledge_id"], c["amount"], c["status"]) for c in charges] == [
        (made["id"], 7_500, "succeeded")]
    db.session.expire_all()
    after = client.get(f"/api/v1/me/pledges/{made['id']}", headers=headers).json
    assert after["status"] == "collected"


def test_a_card_that_asks_for_3_d_secure_is_active_only_once_confirmed(
        app, client, bearer, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=5_000)
    headers = bearer(make_user(), Scope.PLEDGE)
    made = _pledge(client, headers, campaign_id, 2_000)
    secret = made["setup_intent"]["client_secret"]
    first = confirm_setup_as_browser(stripe_sandbox.base, secret, THREE_DS,
                                     publishable_key="pk_test_suite")
    assert first["status"] == "requires_action"
    early = client.post(f"/api/v1/me/pledges/{made['id']}/confirm", headers=headers)
    assert early.status_code == 402 and early.json["type"].endswith("problem-card-setup-failed")
    confirm_setup_as_browser(stripe_sandbox.base, secret, publishable_key="pk_test_suite")
    done = client.post(f"/api/v1/me/pledges/{made['id']}/confirm", headers=headers)
    assert done.status_code == 200 and done.json["status"] == "active"
