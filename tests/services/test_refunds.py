"""Refunds (never more than collected), operator cancel of a funded campaign, disputes,
payouts (manual, and by Connect transfer against a local HTTP fake of Stripe's endpoints)."""

import json
import time

import pytest
import sqlalchemy as sa
from werkzeug import Response

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import Account
from crowdfund.payments.stripe_gateway import StripeGateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import payouts, recovery, refunds
from crowdfund.settlement.models import Dispute, Payout, PayoutStatus, Refund
from tests.factories import SettlerInTest, make_user, pledge_of, refund_now, usd

S, P = CampaignStatus, PledgeStatus


def test_partial_then_full_refund(app, session, gw, funded, settler):
    campaign_id, (first, *_rest) = funded
    operator = make_user(operator=True)
    assert refund_now(settler, pledge_of(first), usd(30), operator) == "succeeded"
    pledge = pledge_of(first)
    assert pledge.status is P.COLLECTED and pledge.refunded == usd(30)
    with pytest.raises(DomainError, match=r"At most \$70.00"):
        refunds.request_refund(pledge, usd("70.01"), operator)
    db.session.rollback()
    assert refund_now(settler, pledge_of(first), usd(70), operator) == "succeeded"
    pledge = pledge_of(first)
    assert pledge.status is P.REFUNDED and pledge.refunded == usd(100)
    with pytest.raises(DomainError, match="Only collected pledges"):
        refunds.request_refund(pledge, usd(1), operator)
    db.session.rollback()
    intent = gw.refunds[next(iter(gw.refunds))]["payment_intent"]
    assert gw.refunded_total(intent) == 10_000  # the gateway agrees
    keys = [r.idempotency_key for r in db.session.scalars(sa.select(Refund).order_by(Refund.id))]
    assert keys == [f"pledge-{first}-refund-1", f"pledge-{first}-refund-2"]
    assert ledger.check() == []
    assert ledger.balance(Account.REFUNDS, "USD", campaign_id) == usd(100)
    kinds = [m.kind for m in db.session.scalars(sa.select(
        __import__("crowdfund.notifications.models", fromlist=["OutboxMessage"]).OutboxMessage))]
    assert kinds.count("refund_issued") == 2


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_refund_of_nothing_is_refused(app, session, funded, amount):
    _, (first, *_rest) = funded
    with pytest.raises(DomainError, match="more than nothing"):
        refunds.request_refund(pledge_of(first), usd(amount), make_user(operator=True))


def test_resumed_refund_is_not_sent_twice(app, session, gw, funded, settler):
    _, (first, *_rest) = funded
    refund = refunds.request_refund(pledge_of(first), usd(10), make_user(operator=True))
    db.session.commit()
    # Killed after the gateway call, before the outcome was written: resent with its key.
    gw.refund(payment_intent_id=refund.attempt.payment_intent_id, amount=usd(10), metadata={},
              idempotency_key=refund.idempotency_key)
    assert settler.process_refunds() == 1
    assert len(gw.refunds) == 1
    assert pledge_of(first).refunded == usd(10)


def test_founder_refunds_their_own_backers_before_the_payout(app, session, funded,
                                                            settler):
    campaign_id, (first, second, _) = funded
    campaign = db.session.get(Campaign, campaign_id)
    stranger = make_user()
    with pytest.raises(NotAllowed, match="Only the campaign's founder or an operator can "
                                         "refund it"):
        refunds.request_refund(pledge_of(first), usd(5), stranger)
    db.session.rollback()
    assert refund_now(settler, pledge_of(first), usd(5), campaign.founder) == "succeeded"
    payout = Payout(campaign_id=campaign_id, amount_minor=0, currency="USD",
                    status=PayoutStatus.DUE, idempotency_key=f"campaign-{campaign_id}-payout",
                    due_at=campaign.deadline)
    db.session.add(payout)
    db.session.flush()
    payouts.mark_paid(payout, make_user(operator=True), "BANK-REF-1")
    db.session.commit()
    with pytest.raises(DomainError, match="payout is done"):
        refunds.request_refund(pledge_of(second), usd(5), campaign.founder)
    db.session.rollback()
    # An operator still can; the founder then owes it back (negative balance).
    assert refund_now(settler, pledge_of(second), usd(5), make_user(operator=True)) == \
        "succeeded"
    assert ledger.founder_owed(campaign_id, "USD") == usd(-5)
    assert ledger.check() == []


def test_operator_cancels_a_funded_campaign_and_everyone_is_refunded(app, session, gw, funded,
                                                                    settler):
    campaign_id, (first, second, errored) = funded
    operator = make_user(operator=True)
    campaign = db.session.get(Campaign, campaign_id)
    refund_now(settler, pledge_of(first), usd(10), operator)
    with pytest.raises(DomainError, match="reason"):
        refunds.cancel_funded(db.session.get(Campaign, campaign_id), operator, "no")
    db.session.rollback()
    made = refunds.cancel_funded(db.session.get(Campaign, campaign_id), operator,
                                 "The founder cannot deliver")
    assert [r.amount for r in made] == [usd(90), usd(50)]  # what is left of each
    db.session.commit()
    assert settler.process_refunds(campaign_id) == 2
    assert {pledge_of(i).status for i in (first, second)} == {P.REFUNDED}
    assert pledge_of(errored).status is P.DROPPED
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.status is S.CANCELLED
    assert ledger.balance(Account.PROCESSOR_BALANCE, "USD", campaign_id) == usd(0)
    assert ledger.check() == []


def test_dispute_webhook_marks_the_pledge_and_books_it(app, client, session, gw, funded):
    campaign_id, (first, *_rest) = funded
    attempt = refunds.collected_attempt(pledge_of(first))
    payload = json.dumps({
        "id": "evt_dispute_1", "type": "charge.dispute.created", "created": int(time.time()),
        "data": {"object": {"id": "dp_1", "object": "dispute", "amount": 10_000,
                            "currency": "usd", "payment_intent": attempt.payment_intent_id,
                            "reason": "fraudulent", "status": "needs_response",
                            "balance_transactions": [  # the withdrawal, with the fee
                                {"id": "txn_1", "amount": -10_000, "fee": 1500,
                                 "currency": "usd", "reporting_category": "dispute"}]}}}
    ).encode()
    owed_before = ledger.founder_owed(campaign_id, "USD")
    db.session.commit()
    for _ in range(2):  # delivered twice
        response = client.post("/webhooks/stripe", data=payload,
                               headers={"Stripe-Signature": gw.sign(payload),
                                        "Content-Type": "application/json"})
        assert response.status_code == 200
    db.session.expire_all()
    assert pledge_of(first).status is P.DISPUTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == 1
    assert ledger.balance(Account.DISPUTES, "USD", campaign_id) == usd(100)
    assert ledger.balance(Account.DISPUTE_FEES, "USD", campaign_id) == usd(15)
    assert ledger.founder_owed(campaign_id, "USD") == owed_before - usd(115)
    assert ledger.check() == []


def test_manual_payout_needs_a_reference_and_books_the_ledger(app, session, funded, settler):
    campaign_id, _ = funded
    campaign = db.session.get(Campaign, campaign_id)
    campaign.collection_ends_at = campaign.deadline
    for pledge in db.session.scalars(sa.select(Pledge).where(Pledge.status == P.ERRORED)):
        recovery.drop(pledge)
    db.session.commit()
    settler.process_recovery()
    payout = db.session.scalar(sa.select(Payout))
    operator = make_user(operator=True)
    with pytest.raises(DomainError, match="not due"):
        payouts.mark_paid(payout, operator, "REF-1")
    payout.due_at = campaign.deadline
    db.session.commit()
    settler.process_recovery()
    db.session.expire_all()
    payout = db.session.scalar(sa.select(Payout))
    assert payout.status is PayoutStatus.DUE
    with pytest.raises(DomainError, match="reference"):
        payouts.mark_paid(payout, operator, " ")
    with pytest.raises(NotAllowed, match="Only operators can mark payouts paid"):
        payouts.mark_paid(payout, make_user(), "REF-1")
    payouts.mark_paid(payout, operator, "SEPA 2026-11-22 #42")
    db.session.commit()
    # $150 collected less fees (5% and 3% + $0.20 on each charge).
    assert payout.amount == usd(150) - usd("7.50") - usd("3.20") - usd("1.70")
    assert ledger.founder_owed(campaign_id, "USD") == usd(0)
    assert ledger.check() == []


# --- Connect, against a local HTTP fake of Stripe's endpoints --------------------------


@pytest.fixture
def connect_gateway(httpserver):
    return StripeGateway(secret_key="sk_test_connect", publishable_key="pk_test_connect",
                         webhook_secret=None, api_base=httpserver.url_for("").rstrip("/"),
                         max_network_retries=0)


def test_connect_calls(httpserver, connect_gateway):
    httpserver.expect_ordered_request("/v1/accounts", method="POST").respond_with_json(
        {"id": "acct_1", "object": "account", "payouts_enabled": False,
         "details_submitted": False})
    httpserver.expect_ordered_request("/v1/account_links", method="POST").respond_with_json(
        {"object": "account_link", "url": "https://connect.stripe.com/setup/e/acct_1/x"})
    httpserver.expect_ordered_request("/v1/accounts/acct_1", method="GET").respond_with_json(
        {"id": "acct_1", "object": "account", "payouts_enabled": True,
         "details_submitted": True})
    assert connect_gateway.create_connected_account(
        email="f@example.com", country="US", idempotency_key="user-7-connect") == "acct_1"
    url = connect_gateway.account_onboarding_link("acct_1", refresh_url="http://x/r",
                                                  return_url="http://x/ok")
    assert url.startswith("https://connect.stripe.com/")
    account = connect_gateway.retrieve_connected_account("acct_1")
    assert account.payouts_enabled and account.details_submitted
    (create, _), (link, _), _ = httpserver.log
    assert create.headers["Idempotency-Key"] == "user-7-connect"
    assert create.form["type"] == "express" and create.form["email"] == "f@example.com"
    assert link.form["type"] == "account_onboarding" and link.form["account"] == "acct_1"


def test_payout_by_transfer_is_sent_once_with_its_key(app, session, funded, httpserver,
                                                      connect_gateway):
    campaign_id, _ = funded
    campaign = db.session.get(Campaign, campaign_id)
    campaign.founder.payout_account_id = "acct_founder"
    payout = Payout(campaign_id=campaign_id, amount_minor=0, currency="USD",
                    status=PayoutStatus.DUE, idempotency_key=f"campaign-{campaign_id}-payout",
                    due_at=campaign.deadline)
    db.session.add(payout)
    db.session.commit()
    calls = []

    def transfer(request):
        calls.append(request)
        if len(calls) == 1:  # the first try dies at the gateway: resent with the same key
            return Response(json.dumps({"error": {"message": "boom", "type": "api_error"}}),
                            status=500, content_type="application/json")
        return Response(json.dumps({"id": "tr_1", "object": "transfer"}),
                        content_type="application/json")

    httpserver.expect_request("/v1/transfers", method="POST").respond_with_handler(transfer)
    app.config["STRIPE_CONNECT_ENABLED"] = True
    try:
        run = SettlerInTest(app, connect_gateway, worker="w", sleep=lambda s: None)
        assert run.send_transfers() == 0  # 500: left started, to resend
        db.session.expire_all()
        assert db.session.get(Payout, payout.id).status is PayoutStatus.STARTED
        assert run.send_transfers() == 1
        assert run.send_transfers() == 0  # paid: nothing more
    finally:
        app.config["STRIPE_CONNECT_ENABLED"] = False
    assert [c.headers["Idempotency-Key"] for c in calls] == [f"campaign-{campaign_id}-payout"] * 2
    assert {c.form["amount"] for c in calls} == {str(15_000 - 750 - 320 - 170)}
    assert calls[0].form["destination"] == "acct_founder"
    db.session.expire_all()
    payout = db.session.get(Payout, payout.id)
    assert payout.status is PayoutStatus.PAID and payout.transfer_id == "tr_1"
    assert ledger.founder_owed(campaign_id, "USD") == usd(0)
    assert ledger.check() == []
