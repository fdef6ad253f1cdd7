"""Disputes to the end: signed ``charge.dispute.*`` webhooks posted to /webhooks/stripe move
a dispute along its table, the ledger follows the money (withdrawn, fee, reinstated), the
founder's payout holds it (or the founder owes it), and the founder and the backer are told
(docs/money.md#disputes). ``flask ledger check`` passes after every delivery."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import Account, LedgerTransaction
from crowdfund.notifications.models import OutboxMessage
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.stripe_gateway import StripeGateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import balances, payouts, recovery, refunds
from crowdfund.settlement.models import (
    Dispute,
    DisputeStatus,
    DisputeTransition,
    Payout,
)
from tests.factories import back, ended, make_campaign, make_user, pledge_of, usd

D, P = DisputeStatus, PledgeStatus
SECRET = "whsec_testing"
#: The funded fixture's founder share: $150 collected less 5% and 3% + $0.20 per charge.
OWED = usd("137.60")
#: What the gateway's balance transactions say (the dispute fee is $15.00).
WITHDRAWAL = {"id": "txn_w", "object": "balance_transaction", "amount": -10_000, "fee": 1500,
              "net": -11_500, "currency": "usd", "type": "adjustment",
              "reporting_category": "dispute"}
REINSTATEMENT = {"id": "txn_r", "object": "balance_transaction", "amount": 10_000, "fee": 0,
                 "net": 10_000, "currency": "usd", "type": "adjustment",
                 "reporting_category": "dispute_reversal"}


@pytest.fixture
def verified(app):
    """The real Stripe adapter verifies each delivery's signature (no network needed);
    the in-process gateway stays behind it."""
    fake = current_gateway()
    real = StripeGateway(secret_key="sk_test_x", publishable_key="pk_test_x",
                         webhook_secret=SECRET, api_base="http://127.0.0.1:9",
                         max_network_retries=0)
    fake.construct_event = real.construct_event
    return fake


@pytest.fixture
def disputed(app, session, funded, verified):
    """(campaign id, the $100 pledge's id, its PaymentIntent id)."""
    campaign_id, (first, *_rest) = funded
    intent = refunds.collected_attempt(pledge_of(first)).payment_intent_id
    session.commit()
    return campaign_id, first, intent


def dispute_object(intent: str, status: str, *movements: dict, dispute_id: str = "dp_1",
                   due_in: timedelta = timedelta(days=7)) -> dict:
    return {"id": dispute_id, "object": "dispute", "amount": 10_000, "currency": "usd",
            "charge": "ch_1", "payment_intent": intent, "reason": "product_not_received",
            "status": status, "is_charge_refundable": False,
            "evidence_details": {"due_by": int((utcnow() + due_in).timestamp()),
                                 "has_evidence": False, "submission_count": 0},
            "balance_transactions": list(movements)}


def deliver(app, client, event_id: str, kind: str, obj: dict) -> str:
    """Post one signed event as Stripe would; its stored outcome. ``flask ledger check``
    must pass afterwards."""
    body = json.dumps({"id": event_id, "object": "event", "type": f"charge.dispute.{kind}",
                       "created": int(time.time()), "data": {"object": obj}}).encode()
    response = client.post("/webhooks/stripe", data=body, headers={
        "Stripe-Signature": _sign(body), "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0 and "ledger OK" in result.output, result.output
    return response.json["outcome"]


def _sign(body: bytes) -> str:
    import hashlib
    import hmac

    timestamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def settled_payout(campaign_id: int, settler) -> int:
    """The campaign settled (its errored pledge dropped) and its payout due now."""
    campaign = db.session.get(Campaign, campaign_id)
    campaign.collection_ends_at = campaign.deadline
    for pledge in db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign_id, Pledge.status == P.ERRORED)):
        recovery.drop(pledge)
    db.session.commit()
    settler.process_recovery()
    payout = db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign_id))
    payout.due_at = campaign.deadline
    db.session.commit()
    settler.process_recovery()
    return payout.id


def payout_amount(payout_id: int):
    db.session.expire_all()
    return db.session.get(Payout, payout_id).amount


def emails(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


def the_dispute() -> Dispute:
    db.session.expire_all()
    return db.session.scalar(sa.select(Dispute))


def test_a_dispute_lost_before_the_payout_keeps_the_money_out_of_it(app, client, session,
                                                                    disputed, settler):
    campaign_id, pledge_id, intent = disputed
    payout_id = settled_payout(campaign_id, settler)
    assert payout_amount(payout_id) == OWED

    outcome = deliver(app, client, "evt_1", "created", dispute_object(intent, "needs_response"))
    assert outcome == "dispute dp_1: opened"
    dispute = the_dispute()
    assert (dispute.status, dispute.amount, dispute.reason) == (
        D.NEEDS_RESPONSE, usd(100), "product_not_received")
    assert dispute.evidence_due_by > utcnow() + timedelta(days=6)
    assert pledge_of(pledge_id).status is P.DISPUTED
    # Nothing has left our balance yet: the ledger is unchanged, the payout holds it.
    assert ledger.balance(Account.DISPUTES, "USD", campaign_id) == usd(0)
    assert payout_amount(payout_id) == OWED - usd(100)
    [opened] = emails("dispute_opened")
    assert opened.recipient_id == db.session.get(Campaign, campaign_id).founder_id
    assert "$100.00" in opened.subject and "Evidence due by" in opened.text_body

    outcome = deliver(app, client, "evt_2", "funds_withdrawn",
                      dispute_object(intent, "needs_response", WITHDRAWAL))
    assert outcome == "dispute dp_1: funds withdrawn, fee $15.00"
    assert ledger.balance(Account.DISPUTES, "USD", campaign_id) == usd(100)
    assert ledger.balance(Account.DISPUTE_FEES, "USD", campaign_id) == usd(15)
    assert payout_amount(payout_id) == OWED - usd(115)  # no longer held: gone

    deliver(app, client, "evt_3", "updated", dispute_object(intent, "under_review", WITHDRAWAL))
    outcome = deliver(app, client, "evt_4", "closed", dispute_object(intent, "lost", WITHDRAWAL))
    assert outcome == "dispute dp_1: lost"
    dispute = the_dispute()
    assert dispute.status is D.LOST and dispute.closed_at is not None
    assert dispute.reinstated_at is None
    assert pledge_of(pledge_id).status is P.DISPUTED  # the money stays with the backer
    assert ledger.founder_owed(campaign_id, "USD") == OWED - usd(115)
    assert payout_amount(payout_id) == OWED - usd(115)
    founder_id = db.session.get(Campaign, campaign_id).founder_id
    assert [(m.recipient_id, "decided against you" in m.subject)
            for m in emails("dispute_closed")] == [(founder_id, True), (
                pledge_of(pledge_id).backer_id, False)]
    assert "in your favour" in emails("dispute_closed")[1].text_body
    transitions = db.session.execute(sa.select(
        DisputeTransition.from_status, DisputeTransition.to_status, DisputeTransition.reason)
        .order_by(DisputeTransition.id)).all()
    assert transitions == [
        (D.NEEDS_RESPONSE, D.UNDER_REVIEW, "charge.dispute.updated (evt_3)"),
        (D.UNDER_REVIEW, D.LOST, "charge.dispute.closed (evt_4)")]

    # Paid now: exactly what is left, and the books agree.
    payout = db.session.get(Payout, payout_id)
    payouts.mark_paid(payout, make_user(operator=True), "BANK-REF-7")
    db.session.commit()
    assert payout_amount(payout_id) == OWED - usd(115)
    assert ledger.founder_owed(campaign_id, "USD") == usd(0)
    assert ledger.check() == []


def test_a_dispute_lost_after_the_payout_is_owed_by_the_founder_and_taken_from_the_next(
        app, client, session, auth, disputed, settler, gw):
    campaign_id, pledge_id, intent = disputed
    payout_id = settled_payout(campaign_id, settler)
    payouts.mark_paid(db.session.get(Payout, payout_id), make_user(operator=True), "BANK-1")
    db.session.commit()
    assert payout_amount(payout_id) == OWED

    deliver(app, client, "evt_1", "created", dispute_object(intent, "needs_response"))
    deliver(app, client, "evt_2", "funds_withdrawn",
            dispute_object(intent, "needs_response", WITHDRAWAL))
    deliver(app, client, "evt_3", "closed", dispute_object(intent, "lost", WITHDRAWAL))
    assert payout_amount(payout_id) == OWED  # paid: never changed
    assert ledger.founder_owed(campaign_id, "USD") == usd(-115)
    founder = db.session.get(Campaign, campaign_id).founder
    assert balances.carried(founder.id, "USD") == usd(-115)

    # The founder's next campaign: its payout is $200 less fees less what they owe.
    campaign = make_campaign(founder, status=CampaignStatus.LIVE, tiers=0, goal_minor=10_000)
    back(campaign, gw, "ok", "200")
    ended(campaign)
    session.commit()
    second = campaign.id
    settler.settle(second)
    next_payout = settled_payout(second, settler)
    assert payout_amount(next_payout) == usd(200) - usd(10) - usd("6.20") - usd(115)

    # Shown to the founder and to operators.
    auth.login_as(founder)
    page = client.get("/studio/payouts").get_data(as_text=True)
    assert "You owe $115.00" in page and "deducted from your next payout" in page
    auth.logout()
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/disputes").get_data(as_text=True)
    assert "owes $115.00" in page and founder.display_name in page

    payouts.mark_paid(db.session.get(Payout, next_payout), make_user(operator=True), "BANK-2")
    db.session.commit()
    assert balances.carried(founder.id, "USD") == usd(0)  # settled by the second payout
    assert ledger.check() == []


def test_a_dispute_won_returns_the_pledge_and_the_payout_less_the_fee(app, client, session,
                                                                     disputed, settler):
    campaign_id, pledge_id, intent = disputed
    payout_id = settled_payout(campaign_id, settler)
    processor_before = ledger.balance(Account.PROCESSOR_BALANCE, "USD", campaign_id)

    deliver(app, client, "evt_1", "created", dispute_object(intent, "needs_response"))
    deliver(app, client, "evt_2", "funds_withdrawn",
            dispute_object(intent, "needs_response", WITHDRAWAL))
    assert payout_amount(payout_id) == OWED - usd(115)
    outcome = deliver(app, client, "evt_3", "funds_reinstated",
                      dispute_object(intent, "under_review", WITHDRAWAL, REINSTATEMENT))
    assert outcome == "dispute dp_1: under_review, funds reinstated"
    assert pledge_of(pledge_id).status is P.DISPUTED  # until the bank's decision is in
    outcome = deliver(app, client, "evt_4", "closed",
                      dispute_object(intent, "won", WITHDRAWAL, REINSTATEMENT))
    assert outcome == "dispute dp_1: won"
    assert pledge_of(pledge_id).status is P.COLLECTED
    # The ledger nets to the fee only.
    assert ledger.balance(Account.DISPUTES, "USD", campaign_id) == usd(0)
    assert ledger.balance(Account.PROCESSOR_BALANCE, "USD", campaign_id) == \
        processor_before - usd(15)
    assert ledger.founder_owed(campaign_id, "USD") == OWED - usd(15)
    assert payout_amount(payout_id) == OWED - usd(15)
    kinds = [m.subject for m in emails("dispute_closed")]
    assert len(kinds) == 2 and "decided for you" in kinds[0]
    assert "the charge stands" in emails("dispute_closed")[1].text_body
    # The pledge is collected again: it can be refunded like any other.
    assert refunds.refundable(pledge_of(pledge_id)) == usd(100)


def test_out_of_order_and_repeated_deliveries_change_nothing_twice(app, client, session,
                                                                   disputed):
    campaign_id, pledge_id, intent = disputed
    won = dispute_object(intent, "won", WITHDRAWAL, REINSTATEMENT)
    deliveries = [  # the decision first, the opening last, each delivered twice
        ("evt_close", "closed", won),
        ("evt_back", "funds_reinstated", won),
        ("evt_out", "funds_withdrawn", dispute_object(intent, "needs_response", WITHDRAWAL)),
        ("evt_review", "updated", dispute_object(intent, "under_review", WITHDRAWAL)),
        ("evt_open", "created", dispute_object(intent, "needs_response")),
    ]
    outcomes = [deliver(app, client, *delivery) for delivery in deliveries for _ in range(2)]
    assert outcomes == [
        "dispute dp_1: opened, funds withdrawn, fee $15.00, funds reinstated", "duplicate",
        "dispute dp_1: nothing new", "duplicate", "dispute dp_1: nothing new", "duplicate",
        "dispute dp_1: nothing new", "duplicate", "dispute dp_1: nothing new", "duplicate"]
    # A late copy under a new event id changes nothing either.
    deliver(app, client, "evt_late", "updated", dispute_object(intent, "needs_response"))
    dispute = the_dispute()
    assert dispute.status is D.WON and db.session.scalar(
        sa.select(sa.func.count()).select_from(DisputeTransition)) == 0
    assert pledge_of(pledge_id).status is P.COLLECTED
    keys = db.session.scalars(sa.select(LedgerTransaction.source_key).where(
        LedgerTransaction.kind == "dispute").order_by(LedgerTransaction.id)).all()
    assert keys == ["dispute-dp_1-withdrawn", "dispute-dp_1-fee", "dispute-dp_1-reinstated"]
    assert ledger.founder_owed(campaign_id, "USD") == OWED - usd(15)
    assert len(emails("dispute_opened")) == 1 and len(emails("dispute_closed")) == 2


def test_an_inquiry_holds_the_amount_and_releases_it_when_closed(app, client, session,
                                                                 disputed, settler):
    campaign_id, pledge_id, intent = disputed
    payout_id = settled_payout(campaign_id, settler)
    deliver(app, client, "evt_1", "created", dispute_object(intent, "warning_needs_response"))
    assert pledge_of(pledge_id).status is P.DISPUTED
    assert payout_amount(payout_id) == OWED - usd(100)
    assert "is asking about" in emails("dispute_opened")[0].text_body
    deliver(app, client, "evt_2", "closed", dispute_object(intent, "warning_closed"))
    assert pledge_of(pledge_id).status is P.COLLECTED
    assert payout_amount(payout_id) == OWED
    assert ledger.balance(Account.DISPUTES, "USD", campaign_id) == usd(0)
    assert "inquiry" in emails("dispute_closed")[0].text_body


def test_operators_see_open_disputes_by_deadline_and_backers_see_theirs(
        app, client, session, auth, disputed, funded):
    campaign_id, pledge_id, intent = disputed
    other = funded[1][1]
    other_intent = refunds.collected_attempt(pledge_of(other)).payment_intent_id
    session.commit()
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/disputes").get_data(as_text=True)
    assert "No open dispute." in page and "No dispute decided yet." in page
    auth.logout()
    deliver(app, client, "evt_1", "created", dispute_object(intent, "needs_response",
                                                            due_in=timedelta(days=5)))
    deliver(app, client, "evt_2", "created", dispute_object(
        other_intent, "needs_response", dispute_id="dp_late", due_in=-timedelta(hours=2)))
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/disputes").get_data(as_text=True)
    assert page.index("dp_late") < page.index("dp_1")  # the soonest deadline first
    assert page.count("Overdue") == 1
    assert "dashboard.stripe.com/" in page and "search?query=dp_1" in page
    assert pledge_of(pledge_id).backer.display_name in page
    auth.logout()

    deliver(app, client, "evt_3", "closed", dispute_object(intent, "lost", WITHDRAWAL))
    backer = pledge_of(pledge_id).backer
    auth.login_as(backer)
    page = client.get(f"/pledges/{pledge_id}").get_data(as_text=True)
    assert "your bank decided in your favour: $100.00 stays returned to you" in page
    assert "your bank disputed the charge" in page


def test_a_dispute_lost_with_no_word_of_the_withdrawal_still_takes_the_money(
        app, client, session, disputed, settler):
    campaign_id, _pledge_id, intent = disputed
    payout_id = settled_payout(campaign_id, settler)
    deliver(app, client, "evt_1", "created", dispute_object(intent, "needs_response"))
    deliver(app, client, "evt_2", "closed", dispute_object(intent, "lost"))
    assert ledger.balance(Account.DISPUTES, "USD", campaign_id) == usd(100)
    assert payout_amount(payout_id) == OWED - usd(100)
    # The fee, reported late, is booked on its own, once.
    deliver(app, client, "evt_3", "funds_withdrawn", dispute_object(intent, "lost", WITHDRAWAL))
    deliver(app, client, "evt_4", "funds_withdrawn", dispute_object(intent, "lost", WITHDRAWAL))
    assert ledger.balance(Account.DISPUTES, "USD", campaign_id) == usd(100)
    assert payout_amount(payout_id) == OWED - usd(115)


def test_an_investor_and_an_issuer_are_told_in_an_investments_words(session):
    from crowdfund.notifications import dispute_emails
    from tests.factories import investor, live_offering, make_pledge

    pledge = make_pledge(live_offering(), investor(), amount_minor=99_970)
    session.flush()
    dispute_emails.opened_to_founder(pledge, "dp_9", usd(100), "fraudulent", None, False)
    dispute_emails.closed_to_backer(pledge, "dp_9", usd(100), "lost")
    texts = [m.subject + "\n" + m.text_body for m in session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id))]
    assert "investors" in texts[0] and "backer" not in texts[0].lower()
    assert "your investment in" in texts[1] and "Offering:" in texts[1]
    assert "pledge" not in texts[1].split("http")[0].lower()
    session.rollback()
