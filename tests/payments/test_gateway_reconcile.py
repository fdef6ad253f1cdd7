"""``flask ledger reconcile`` against the sandbox over HTTP, through the real Stripe adapter:
a campaign settled normally reconciles clean (and the sandbox's fees, always 0, replace
our estimates in the ledger); a charge and a refund made at the gateway behind the
platform's back are reported (exit 1) and shown on the console until operators resolve
them with a reason."""

from __future__ import annotations

import requests
import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import Account
from crowdfund.pledges.models import Pledge
from crowdfund.settlement.books.models import DifferenceStatus, GatewayDifference
from crowdfund.settlement.models import ChargeAttempt
from tests.factories import make_user
from tests.sandbox import OK, back, end, new_campaign, settler

KEY = {"Authorization": "Bearer sk_test_suite"}


def _settled(app, sandbox) -> tuple[int, list[int]]:
    campaign_id = new_campaign(app, goal_minor=10_000)
    pledges = [back(app, sandbox, campaign_id, OK, amount) for amount in ("100", "46.66")]
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.counts == {"succeeded": 2}, report
    return campaign_id, pledges


def _reconcile(app):
    return app.test_cli_runner().invoke(args=["ledger", "reconcile"])


def test_a_clean_settlement_reconciles_clean_with_the_gateways_fees(app, stripe_sandbox):
    campaign_id, _ = _settled(app, stripe_sandbox)
    with app.app_context():
        owed = ledger.founder_owed(campaign_id, "USD")
        estimated = ledger.balance(Account.PROCESSING_FEES, "USD", campaign_id)
    assert estimated.amount > 0
    result = _reconcile(app)
    assert result.exit_code == 0, result.output
    assert "0 differences seen (0 new); 2 processing fees corrected" in result.output
    with app.app_context():
        # The sandbox takes no fee: the founder gets the estimate back, the platform's
        # own fee is untouched.
        assert ledger.balance(Account.PROCESSING_FEES, "USD", campaign_id).amount == 0
        assert ledger.founder_owed(campaign_id, "USD") == owed + estimated
        assert ledger.check() == []
    assert app.test_cli_runner().invoke(args=["ledger", "check"]).exit_code == 0
    again = _reconcile(app)
    assert again.exit_code == 0 and "0 processing fees corrected" in again.output


def test_out_of_band_charge_and_refund_are_reported_until_resolved(
        app, stripe_sandbox, client, auth):
    campaign_id, (first, second) = _settled(app, stripe_sandbox)
    with app.app_context():
        pledge = db.session.get(Pledge, first)
        customer, card = pledge.backer.payment_customer_id, pledge.payment_method_id
        collected = db.session.scalar(sa.select(ChargeAttempt.payment_intent_id).where(
            ChargeAttempt.pledge_id == second))
    base = stripe_sandbox.base
    extra = requests.post(f"{base}/v1/payment_intents", headers=KEY, timeout=10, data={
        "amount": 15_031, "currency": "usd", "customer": customer, "payment_method": card,
        "confirm": "true", "off_session": "true"}).json()
    assert extra["status"] == "succeeded"
    refund = requests.post(f"{base}/v1/refunds", headers=KEY, timeout=10, data={
        "payment_intent": collected, "amount": 1_000}).json()
    assert refund["status"] == "succeeded"

    failing = _reconcile(app)
    assert failing.exit_code == 1
    assert "2 differences seen (2 new)" in failing.output
    assert f"gateway: {extra['id']}" in failing.output
    assert "USD 150.31 succeeded" in failing.output
    assert f"gateway: {refund['id']}" in failing.output
    assert "2 differences open" in failing.output
    assert _reconcile(app).exit_code == 1  # found again: still two, recorded once
    with app.app_context():
        rows = db.session.scalars(sa.select(GatewayDifference).order_by(GatewayDifference.id)).all()
        assert [(r.gateway_object_id, r.status) for r in rows] == [
            (extra["id"], DifferenceStatus.OPEN), (refund["id"], DifferenceStatus.OPEN)]
        assert rows[1].pledge_id == second  # the refund of one of our charges
        ids = [r.id for r in rows]
        operator = make_user(operator=True)
        db.session.commit()

    auth.login_as(operator)
    home = client.get("/operators/").get_data(as_text=True)
    assert "Differences with the gateway</a></dt><dd>2</dd>" in home
    assert "Differences with the gateway (2)" in client.get("/operators/settlement").get_data(
        as_text=True)
    page = client.get("/operators/differences").get_data(as_text=True)
    assert "Open (2)" in page
    assert extra["id"] in page and "Charge at the gateway that the platform did not make" in page
    assert refund["id"] in page and "Refund at the gateway that the platform did not make" in page
    assert "What to do:" in page
    for difference_id, reason in zip(ids, ["Charged by staff in the dashboard; refunded there",
                                           "Backer refunded by phone support; recorded"],
                                     strict=True):
        done = client.post(f"/operators/differences/{difference_id}/resolve",
                           data={f"d{difference_id}-reason": reason})
        assert done.status_code == 302
    page = client.get("/operators/differences").get_data(as_text=True)
    assert "Open (0)" in page and "Backer refunded by phone support; recorded" in page

    cleared = _reconcile(app)
    assert cleared.exit_code == 0, cleared.output
    assert "No open difference" in cleared.output


def test_every_page_is_read_one_request_at_a_time(app, stripe_sandbox, monkeypatch):
    from crowdfund.payments import stripe_gateway

    campaign_id, _ = _settled(app, stripe_sandbox)
    monkeypatch.setattr(stripe_gateway, "PAGE_SIZE", 1)  # a page per object
    result = _reconcile(app)
    assert result.exit_code == 0, result.output
    # 2 PaymentIntents, 2 charges, 2 balance transactions: a page each, and the refunds'
    # one empty page; nothing left to look up one by one.
    assert "6 objects in 7 requests; 0 differences seen" in result.output
    assert "2 processing fees corrected" in result.output
    seen = stripe_sandbox.get("/_config/faults/seen")
    assert seen["GET /v1/payment_intents"] == 2 and seen["GET /v1/balance_transactions"] == 2
    with app.app_context():
        assert ledger.balance(Account.PROCESSING_FEES, "USD", campaign_id).amount == 0
