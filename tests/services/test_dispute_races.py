"""Disputes hit at the same instant, on PostgreSQL (``postgres_only``; see test_races.py for
why SQLite cannot show these): the same event delivered twice at once, the reinstatement and
the decision at once, two first events of a new dispute at once, and two payouts of one
founder who owes a lost dispute paid at once. Each movement is booked once."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import LedgerTransaction
from crowdfund.notifications.models import OutboxMessage
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.events import record_and_dispatch
from crowdfund.payments.gateway import RefundInfo, WebhookEvent
from crowdfund.payments.models import WebhookEvent as WebhookEventRow
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import balances, payouts, refunds
from crowdfund.settlement.models import (
    Dispute,
    DisputeStatus,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from tests.factories import back, ended, make_campaign, make_user, race, usd

pytestmark = pytest.mark.postgres_only

ROUNDS = 8
WITHDRAWAL = {"id": "txn_w", "amount": -10_000, "fee": 1500, "currency": "usd",
              "reporting_category": "dispute"}
REINSTATEMENT = {"id": "txn_r", "amount": 10_000, "fee": 0, "currency": "usd",
                 "reporting_category": "dispute_reversal"}


@pytest.fixture
def charged(app, session, gw, settler):
    """Factory: a charged campaign of ``founder`` with one $100 pledge collected;
    (campaign id, pledge id, its PaymentIntent id)."""

    def make(founder=None):
        campaign = make_campaign(founder or make_user(verified=True), status=CampaignStatus.LIVE,
                                 tiers=0, goal_minor=5_000)
        pledge_id = back(campaign, gw, "ok", "100")
        ended(campaign)
        session.commit()
        campaign_id = campaign.id
        settler.settle(campaign_id)
        session.expire_all()
        intent = refunds.collected_attempt(session.get(Pledge, pledge_id)).payment_intent_id
        session.commit()
        return campaign_id, pledge_id, intent

    return make


def event(event_id: str, kind: str, dispute_id: str, intent: str, status: str,
          *movements: dict) -> WebhookEvent:
    return WebhookEvent.parse(json.dumps({
        "id": event_id, "object": "event", "type": f"charge.dispute.{kind}",
        "created": int(time.time()),
        "data": {"object": {"id": dispute_id, "object": "dispute", "amount": 10_000,
                            "currency": "usd", "payment_intent": intent, "reason": "general",
                            "status": status, "balance_transactions": list(movements)}}}))


def dispatch(webhook_event: WebhookEvent):
    """What POST /webhooks/stripe does after verifying (``race`` commits)."""
    return lambda: record_and_dispatch(webhook_event, current_gateway())


def serially(*events: WebhookEvent) -> None:
    for webhook_event in events:
        dispatch(webhook_event)()
        db.session.commit()


def booked(dispute_id: str) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(LedgerTransaction.source_key).where(
        LedgerTransaction.source_key.like(f"dispute-{dispute_id}-%"))))


def mails(dispute_id: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.dedupe_key.like(f"dispute-{dispute_id}-%")))


def test_the_same_event_delivered_twice_at_once_is_applied_once(app, session, charged):
    for n in range(ROUNDS):
        _campaign_id, pledge_id, intent = charged()
        dispute_id = f"dp_twice_{n}"
        first = event(f"evt_twice_{n}", "created", dispute_id, intent, "needs_response",
                      WITHDRAWAL)
        race(app, dispatch(first), dispatch(first))
        assert booked(dispute_id) == [f"dispute-{dispute_id}-fee",
                                      f"dispute-{dispute_id}-withdrawn"]
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEventRow).where(
            WebhookEventRow.event_id == first.id)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(Dispute).where(
            Dispute.gateway_dispute_id == dispute_id)) == 1
        assert session.get(Pledge, pledge_id).status is PledgeStatus.DISPUTED
        assert mails(dispute_id) == 1  # the founder, told once
    assert ledger.check() == []


def test_two_first_events_of_a_new_dispute_at_once_write_it_once(app, session, charged):
    for n in range(ROUNDS):
        _campaign_id, _pledge_id, intent = charged()
        dispute_id = f"dp_first_{n}"
        outcomes = race(
            app,
            dispatch(event(f"evt_c_{n}", "created", dispute_id, intent, "needs_response")),
            dispatch(event(f"evt_w_{n}", "funds_withdrawn", dispute_id, intent,
                           "needs_response", WITHDRAWAL)))
        assert outcomes == ["ok", "ok"]
        assert booked(dispute_id) == [f"dispute-{dispute_id}-fee",
                                      f"dispute-{dispute_id}-withdrawn"]
        assert session.scalar(sa.select(sa.func.count()).select_from(Dispute).where(
            Dispute.gateway_dispute_id == dispute_id)) == 1
        assert mails(dispute_id) == 1
    assert ledger.check() == []


def test_the_reinstatement_and_the_decision_at_once_are_each_booked_once(app, session,
                                                                         charged):
    for n in range(ROUNDS):
        campaign_id, pledge_id, intent = charged()
        dispute_id = f"dp_won_{n}"
        serially(event(f"evt_o_{n}", "created", dispute_id, intent, "needs_response"),
                 event(f"evt_x_{n}", "funds_withdrawn", dispute_id, intent, "needs_response",
                       WITHDRAWAL))
        race(app,
             dispatch(event(f"evt_r_{n}", "funds_reinstated", dispute_id, intent,
                            "under_review", WITHDRAWAL, REINSTATEMENT)),
             dispatch(event(f"evt_d_{n}", "closed", dispute_id, intent, "won", WITHDRAWAL,
                            REINSTATEMENT)))
        assert booked(dispute_id) == [f"dispute-{dispute_id}-{m}"
                                      for m in ("fee", "reinstated", "withdrawn")]
        dispute = session.scalar(sa.select(Dispute).where(
            Dispute.gateway_dispute_id == dispute_id))
        assert dispute.status is DisputeStatus.WON
        assert session.get(Pledge, pledge_id).status is PledgeStatus.COLLECTED
        assert ledger.founder_owed(campaign_id, "USD") == usd("91.80") - usd(15)
        assert mails(dispute_id) == 3  # opened; closed to the founder and to the backer
    assert ledger.check() == []


def test_two_payouts_of_a_founder_who_owes_take_the_debt_once(app, session, charged):
    for n in range(ROUNDS // 2):
        founder = make_user(verified=True)
        operator_id = make_user(operator=True).id
        session.commit()
        founder_id = founder.id
        paid, pledge_id, intent = charged(founder)
        _add_payout(paid, PayoutStatus.DUE)
        payouts.mark_paid(_payout_of(paid), session.get(User, operator_id), "BANK-A")
        session.commit()
        serially(event(f"evt_l_{n}", "closed", f"dp_owed_{n}", intent, "lost", WITHDRAWAL))
        assert balances.carried(founder_id, "USD") == usd(-115)
        later = [charged(session.get(User, founder_id))[0] for _ in range(2)]
        for campaign_id in later:
            _add_payout(campaign_id, PayoutStatus.DUE)
        session.commit()

        def pay(campaign_id, operator_id=operator_id):
            return lambda: payouts.mark_paid(_payout_of(campaign_id),
                                             db.session.get(User, operator_id), "BANK-B")

        assert race(app, *(pay(c) for c in later)) == ["ok", "ok"]
        session.expire_all()
        amounts = [_payout_of(c).amount for c in later]
        assert amounts[0] + amounts[1] == usd("91.80") + usd("91.80") - usd(115)
        assert balances.carried(founder_id, "USD") == usd(0)
    assert ledger.check() == []


def _add_payout(campaign_id: int, status: PayoutStatus) -> None:
    db.session.add(Payout(campaign_id=campaign_id, amount_minor=0, currency="USD",
                          status=status, due_at=utcnow(),
                          idempotency_key=f"campaign-{campaign_id}-payout"))
    db.session.commit()


def _payout_of(campaign_id: int) -> Payout:
    return db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign_id))


def test_a_refund_recorded_while_a_dispute_event_arrives_both_finish(app, session, charged):
    """A refund's outcome and a dispute event on the same pledge, at once, for a founder
    with payouts on two campaigns: both lock the founder's payouts, then the pledge, in the
    same order (``payouts.lock_founder_money``), so neither is aborted as a deadlock."""
    for n in range(ROUNDS):
        founder = make_user(verified=True)
        operator_id = make_user(operator=True).id
        session.commit()
        founder_id = founder.id
        other, _other_pledge, _other_intent = charged(founder)
        campaign_id, pledge_id, intent = charged(session.get(User, founder_id))
        _add_payout(campaign_id, PayoutStatus.DUE)
        _add_payout(other, PayoutStatus.DUE)
        refund = refunds.request_refund(session.get(Pledge, pledge_id), usd(10),
                                        session.get(User, operator_id), "Broken on arrival")
        session.commit()
        refund_id = refund.id

        def record(refund_id=refund_id):
            return lambda: refunds.record_refund(
                db.session.get(Refund, refund_id),
                RefundInfo(id=f"re_{refund_id}", status="succeeded", amount=usd(10)))

        withdrawn = event(f"evt_rw_{n}", "funds_withdrawn", f"dp_rw_{n}", intent,
                          "needs_response", WITHDRAWAL)
        assert race(app, record(), dispatch(withdrawn)) == ["ok", "ok"]
        assert booked(f"dp_rw_{n}") == [f"dispute-dp_rw_{n}-fee",
                                        f"dispute-dp_rw_{n}-withdrawn"]
        assert session.get(Refund, refund_id).status is RefundStatus.SUCCEEDED
    assert ledger.check() == []
