"""Refunds and Connect transfers whose answer was lost for longer than the gateway replays a
key (about 24 hours) are looked up at the gateway before they are ever sent again, as
charges are: a refund against the sandbox over HTTP, whose remembered keys are forgotten
as Stripe's are after 24 hours; a transfer against a local HTTP fake of Stripe's Connect
endpoints. Found: recorded as if it had just answered, nothing sent. Not found: sent once,
with its key, from then on."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import requests
import sqlalchemy as sa
from werkzeug import Response

from crowdfund.campaigns.models import Campaign
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.money import Money
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.stripe_gateway import StripeGateway
from crowdfund.pledges.models import Pledge
from crowdfund.settlement import refunds
from crowdfund.settlement.models import (
    ChargeAttempt,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from tests.factories import SettlerInTest, make_user
from tests.sandbox import OK, back, end, new_campaign, settler

DAY = timedelta(hours=24)


def _collected_and_refund_started(app, sandbox) -> tuple[int, str]:
    """A settled $100 charge and a $30 refund of it, started (row and key committed):
    (refund id, the charge's PaymentIntent)."""
    campaign_id = new_campaign(app, goal_minor=5_000)
    pledge_id = back(app, sandbox, campaign_id, OK, "100")
    end(app, campaign_id)
    settler(app).settle(campaign_id)
    with app.app_context():
        refund = refunds.request_refund(db.session.get(Pledge, pledge_id),
                                        Money(3_000, "USD"), make_user(operator=True),
                                        "Asked for part back")
        db.session.commit()
        intent = db.session.scalar(sa.select(ChargeAttempt.payment_intent_id).where(
            ChargeAttempt.pledge_id == pledge_id))
        return refund.id, intent


def _a_day_later(app, sandbox, refund_id: int) -> None:
    """The refund was started a day ago, and the gateway has forgotten its key since."""
    with app.app_context():
        refund = db.session.get(Refund, refund_id)
        refund.created_at -= DAY
        refund.sent_at -= DAY
        db.session.commit()
    requests.delete(f"{sandbox.base}/_config/idempotency", timeout=10).raise_for_status()


def _refunds_at_the_sandbox(sandbox, intent: str) -> list[dict]:
    return sandbox.get(f"/v1/refunds?payment_intent={intent}&limit=100")["data"]


def test_a_refund_sent_before_its_answer_was_lost_is_found_not_sent_again(
        app, stripe_sandbox):
    refund_id, intent = _collected_and_refund_started(app, stripe_sandbox)
    with app.app_context():
        refund = db.session.get(Refund, refund_id)
        made = current_gateway().refund(  # the process died before writing the answer
            payment_intent_id=intent, amount=refund.amount,
            metadata={"pledge_id": str(refund.pledge_id), "refund_id": str(refund.id)},
            idempotency_key=refund.idempotency_key)
    _a_day_later(app, stripe_sandbox, refund_id)

    _reports, done = settler(app).run_once()

    assert done["reconciled"] == 1
    assert [r["id"] for r in _refunds_at_the_sandbox(stripe_sandbox, intent)] == [made.id]
    with app.app_context():
        refund = db.session.get(Refund, refund_id)
        assert refund.status is RefundStatus.SUCCEEDED and refund.gateway_refund_id == made.id
        assert db.session.get(Pledge, refund.pledge_id).refunded_minor == 3_000
        assert ledger.check() == []


def test_a_refund_the_gateway_never_made_is_sent_once_after_the_look_up(app, stripe_sandbox):
    refund_id, intent = _collected_and_refund_started(app, stripe_sandbox)
    _a_day_later(app, stripe_sandbox, refund_id)

    run = settler(app)
    run.run_once()
    run.run_once()

    assert stripe_sandbox.get("/_config/faults/seen").get("GET /v1/refunds") == 1  # looked up
    made = _refunds_at_the_sandbox(stripe_sandbox, intent)
    assert [(r["amount"], r["metadata"]["refund_id"]) for r in made] == [(3_000, str(refund_id))]
    with app.app_context():
        refund = db.session.get(Refund, refund_id)
        assert refund.status is RefundStatus.SUCCEEDED and refund.gateway_refund_id == made[0]["id"]
        assert refund.sent_at > utcnow() - timedelta(minutes=5)  # its key fresh from the look-up
        assert ledger.check() == []


# --- Connect transfers, against a local HTTP fake of Stripe's endpoints ------------------


def _stale_transfer(app, session, funded) -> Payout:
    """The campaign's payout, its transfer started a day ago and never answered."""
    campaign_id, _ = funded
    campaign = db.session.get(Campaign, campaign_id)
    campaign.founder.payout_account_id = "acct_founder"
    payout = Payout(campaign_id=campaign_id, amount_minor=ledger.founder_owed(
        campaign_id, "USD").amount, currency="USD", status=PayoutStatus.STARTED,
        method="connect", destination_account="acct_founder",
        idempotency_key=f"campaign-{campaign_id}-payout", due_at=campaign.deadline,
        sent_at=utcnow() - DAY)
    db.session.add(payout)
    session.commit()
    return payout


def _listed(payout: Payout, transfers: list[dict]) -> Response:
    return Response(json.dumps({"object": "list", "url": "/v1/transfers", "has_more": False,
                                "data": transfers}), content_type="application/json")


def _transfer(payout: Payout, transfer_id: str) -> dict:
    return {"id": transfer_id, "object": "transfer", "amount": payout.amount_minor,
            "currency": "usd", "destination": "acct_founder", "created": int(time.time()),
            "amount_reversed": 0,
            "metadata": {"campaign_id": str(payout.campaign_id), "payout_id": str(payout.id)}}


def _connect(app, httpserver) -> SettlerInTest:
    gateway = StripeGateway(secret_key="sk_test_connect", publishable_key="pk_test_connect",
                            webhook_secret=None, api_base=httpserver.url_for("").rstrip("/"),
                            max_network_retries=0)
    return SettlerInTest(app, gateway, worker="w", sleep=lambda s: None)


def test_a_transfer_made_before_its_answer_was_lost_is_found_not_sent_again(
        app, session, funded, httpserver):
    payout = _stale_transfer(app, session, funded)
    payout_id = payout.id
    httpserver.expect_request("/v1/transfers", method="GET").respond_with_handler(
        lambda request: _listed(payout, [_transfer(payout, "tr_made")]))
    app.config["STRIPE_CONNECT_ENABLED"] = True
    try:
        assert _connect(app, httpserver).send_transfers() == 1
    finally:
        app.config["STRIPE_CONNECT_ENABLED"] = False
    sent = [request for request, _ in httpserver.log if request.method == "POST"]
    assert sent == []  # never sent again
    (listed, _), = httpserver.log
    assert listed.args["destination"] == "acct_founder"
    db.session.expire_all()
    payout = db.session.get(Payout, payout_id)
    assert payout.status is PayoutStatus.PAID and payout.transfer_id == "tr_made"
    assert ledger.check() == []


def test_a_transfer_the_gateway_never_made_is_sent_once_after_the_look_up(
        app, session, funded, httpserver):
    payout = _stale_transfer(app, session, funded)
    payout_id, key = payout.id, payout.idempotency_key
    httpserver.expect_request("/v1/transfers", method="GET").respond_with_handler(
        lambda request: _listed(payout, []))
    httpserver.expect_request("/v1/transfers", method="POST").respond_with_json(
        {"id": "tr_new", "object": "transfer"})
    app.config["STRIPE_CONNECT_ENABLED"] = True
    try:
        run = _connect(app, httpserver)
        assert run.send_transfers() == 1
        assert run.send_transfers() == 0
    finally:
        app.config["STRIPE_CONNECT_ENABLED"] = False
    assert [request.method for request, _ in httpserver.log] == ["GET", "POST"]  # looked up
    sent = [request for request, _ in httpserver.log if request.method == "POST"]
    assert [request.headers["Idempotency-Key"] for request in sent] == [key]
    db.session.expire_all()
    payout = db.session.get(Payout, payout_id)
    assert payout.status is PayoutStatus.PAID and payout.transfer_id == "tr_new"
