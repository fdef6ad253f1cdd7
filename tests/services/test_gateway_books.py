"""Our books against the gateway's (``settlement.books``), with the in-process fake gateway:
what the matcher calls a difference, that each is recorded once and resolved with a reason
(audited), that fees come from the gateway's balance transactions into the ledger, and
that the lists are read a page (a token of the rate budget) at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import Account, LedgerTransaction
from crowdfund.pledges.models import Pledge
from crowdfund.settlement.books import differences, run
from crowdfund.settlement.books.differences import AlreadyResolved
from crowdfund.settlement.books.models import (
    DifferenceKind,
    DifferenceStatus,
    DifferenceTransition,
    GatewayDifference,
)
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus, Payout, PayoutStatus
from crowdfund.settlement.reading import GatewayReader
from tests.factories import make_user, pledge_of, refund_now, usd

K = DifferenceKind


class CountingBucket:
    """A rate budget that never waits and counts the tokens taken."""

    def __init__(self) -> None:
        self.taken = 0

    def acquire(self) -> None:
        self.taken += 1


def reconcile(gw, *, days: int = 1, bucket: CountingBucket | None = None):
    """One reconciliation of the last ``days`` up to a minute from now."""
    reader = GatewayReader(bucket or CountingBucket(), sleep=lambda s: None)
    now = utcnow()
    return run.reconcile(gw, now - timedelta(days=days), now + timedelta(minutes=1),
                         reader=reader)


def found() -> dict[DifferenceKind, list[GatewayDifference]]:
    db.session.expire_all()
    by_kind: dict[DifferenceKind, list[GatewayDifference]] = {}
    for row in db.session.scalars(sa.select(GatewayDifference).order_by(GatewayDifference.id)):
        by_kind.setdefault(row.kind, []).append(row)
    return by_kind


def attempt_of(pledge_id: int) -> ChargeAttempt:
    return db.session.scalar(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == pledge_id, ChargeAttempt.status == ChargeStatus.SUCCEEDED))


def test_a_clean_settlement_has_no_difference_and_books_the_gateways_fees(
        app, session, gw, funded):
    campaign_id, (hundred, fifty, _declined) = funded
    owed_before = ledger.founder_owed(campaign_id, "USD")
    done = reconcile(gw)
    assert found() == {}
    assert done.differences_seen == 0 and done.objects_read > 0
    # The gateway took 2.9% + 30c: $3.20 of $100 (the estimate too), $1.75 of $50 (we
    # estimated 3% + 20c: $1.70). The difference comes off the founder's share, once.
    assert done.fees_corrected == 1
    assert ledger.balance(Account.PROCESSING_FEES, "USD", campaign_id) == usd("4.95")
    assert ledger.founder_owed(campaign_id, "USD") == owed_before - usd("0.05")
    assert ledger.balance(Account.PLATFORM_FEES, "USD", campaign_id) == usd("7.50")
    assert ledger.check() == []
    again = reconcile(gw)
    assert again.fees_corrected == 0 and again.differences_new == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "fee")) == 1
    assert ledger.founder_owed(campaign_id, "USD") == owed_before - usd("0.05")


def test_out_of_band_charge_and_refund_are_recorded_once(app, session, gw, funded):
    campaign_id, (hundred, _fifty, _declined) = funded
    pledge = pledge_of(hundred)
    extra = gw.charge_off_session(amount=usd("150.31"),
                                  customer_id=pledge.backer.payment_customer_id,
                                  payment_method_id=pledge.payment_method_id, metadata={},
                                  idempotency_key="made-in-the-dashboard")
    refund = gw.refund(payment_intent_id=attempt_of(hundred).payment_intent_id,
                       amount=usd(10), metadata={}, idempotency_key="dashboard-refund")
    first = reconcile(gw)
    assert first.differences_new == 2
    by_kind = found()
    assert set(by_kind) == {K.CHARGE_NOT_OURS, K.REFUND_NOT_OURS}
    (charge,), (gone,) = by_kind[K.CHARGE_NOT_OURS], by_kind[K.REFUND_NOT_OURS]
    assert charge.gateway_object_id == extra.id and charge.expected == "nothing"
    assert charge.found.startswith("USD 150.31 succeeded")
    assert charge.status is DifferenceStatus.OPEN and "dashboard" in charge.advice
    assert gone.gateway_object_id == refund.id and gone.found.startswith("USD 10.00 succeeded")
    assert (gone.campaign_id, gone.pledge_id) == (campaign_id, hundred)  # the charge is ours
    second = reconcile(gw)  # found again: the same rows, seen later
    assert (second.differences_seen, second.differences_new) == (2, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatewayDifference)) == 2
    assert found()[K.CHARGE_NOT_OURS][0].last_seen_at >= charge.first_seen_at
    assert differences.open_count() == 2


def test_ours_but_not_at_the_gateway_and_amounts_and_statuses_that_differ(
        app, session, gw, funded, settler):
    campaign_id, (hundred, fifty, _declined) = funded
    operator = make_user(operator=True)
    assert refund_now(settler, pledge_of(fifty), usd(5), operator) == "succeeded"
    hundred_intent = attempt_of(hundred).payment_intent_id
    fifty_intent = attempt_of(fifty).payment_intent_id
    del gw.payment_intents[hundred_intent]  # the gateway has no such payment
    gw.refunds[next(iter(gw.refunds))]["amount"] = usd(6)  # refunded another amount
    gw.payment_intents[fifty_intent]["amount"] = usd(51)  # charged another amount
    by_kind = (reconcile(gw), found())[1]
    assert set(by_kind) == {K.CHARGE_MISSING, K.CHARGE_AMOUNT, K.REFUND_AMOUNT}
    missing = by_kind[K.CHARGE_MISSING][0]
    assert (missing.gateway_object_id, missing.pledge_id) == (hundred_intent, hundred)
    assert missing.expected == "USD 100.00 succeeded"
    amount = by_kind[K.CHARGE_AMOUNT][0]
    assert (amount.expected, amount.found) == ("USD 50.00 succeeded", "USD 51.00 succeeded")
    assert by_kind[K.REFUND_AMOUNT][0].our_ref.startswith("refund ")


def test_a_payment_failed_in_our_books_but_paid_at_the_gateway(app, session, gw, funded):
    _campaign_id, (_hundred, _fifty, declined) = funded
    attempt = db.session.scalar(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == declined))
    assert attempt.status is ChargeStatus.FAILED and attempt.payment_intent_id is None
    # The decline's PaymentIntent, found by our metadata (its id was never recorded).
    (intent,) = [pi for pi in gw.payment_intents.values()
                 if pi["metadata"]["pledge_id"] == str(declined)]
    intent["status"] = "succeeded"
    reconcile(gw)
    (status,) = found()[K.CHARGE_STATUS]
    assert (status.expected, status.found) == ("USD 20.00 failed", "USD 20.00 succeeded")


def test_a_transfer_nobody_made_is_a_difference(app, session, gw, funded):
    gw.connect = True
    app.config["STRIPE_CONNECT_ENABLED"] = True
    try:
        gw.transfer(amount=usd(99), destination="acct_someone", metadata={},
                    idempotency_key="leaked-key")
        reconcile(gw)
    finally:
        app.config["STRIPE_CONNECT_ENABLED"] = False
    (transfer,) = found()[K.TRANSFER_NOT_OURS]
    assert transfer.found == "USD 99.00 sent to acct_someone"


def test_lists_are_read_a_page_at_a_time_each_under_the_budget(app, session, gw, funded):
    gw.page_size = 1
    bucket = CountingBucket()
    done = reconcile(gw, bucket=bucket)
    # 3 PaymentIntents, 2 charges, no refund, 2 balance transactions: one page each, and
    # one more request for each empty list.
    assert done.objects_read == 7
    assert done.requests == bucket.taken == 3 + 2 + 1 + 2
    assert gw.calls.count("list") == done.requests


def test_only_the_period_is_read(app, session, gw, funded):
    old = utcnow() - timedelta(days=10)
    gw.created_at(old, list(gw.payment_intents) + list(gw.charges))
    done = reconcile(gw, days=3)
    # Nothing listed; our two charges of the period are looked up one by one (the
    # gateway still has them): no difference, and their fees are not in the period.
    assert (done.objects_read, done.requests, done.fees_corrected) == (2, 4 + 2, 0)
    assert found() == {}


def test_a_fee_correction_after_the_payout_leaves_a_balance_and_changes_no_history(
        app, session, gw, funded):
    campaign_id, _ = funded
    campaign_payout = Payout(campaign_id=campaign_id, amount_minor=0, currency="USD",
                             status=PayoutStatus.DUE,
                             idempotency_key=f"campaign-{campaign_id}-payout", due_at=utcnow())
    db.session.add(campaign_payout)
    from crowdfund.settlement import payouts

    payouts.mark_paid(campaign_payout, make_user(operator=True), "SEPA 42")
    db.session.commit()
    paid = campaign_payout.amount
    assert ledger.founder_owed(campaign_id, "USD") == usd(0)
    reconcile(gw)
    db.session.expire_all()
    assert db.session.get(Payout, campaign_payout.id).amount == paid  # history kept
    assert ledger.founder_owed(campaign_id, "USD") == usd("-0.05")  # the founder owes 5c
    assert ledger.check() == []


def test_an_unpaid_payout_follows_the_corrected_fee(app, session, gw, funded):
    campaign_id, _ = funded
    payout = Payout(campaign_id=campaign_id, amount_minor=0, currency="USD",
                    status=PayoutStatus.SCHEDULED,
                    idempotency_key=f"campaign-{campaign_id}-payout", due_at=utcnow())
    db.session.add(payout)
    from crowdfund.settlement import payouts

    payouts.refresh_amount(payout)
    db.session.commit()
    before = payout.amount
    reconcile(gw)
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).amount == before - usd("0.05")


# --- resolving a difference ----------------------------------------------------------------


def _one_difference(gw, funded) -> int:
    pledge = pledge_of(funded[1][0])
    gw.charge_off_session(amount=usd(12), customer_id=pledge.backer.payment_customer_id,
                          payment_method_id=pledge.payment_method_id, metadata={},
                          idempotency_key="out-of-band")
    reconcile(gw)
    return found()[K.CHARGE_NOT_OURS][0].id


def test_an_operator_resolves_a_difference_with_a_reason_once(app, session, gw, funded):
    difference_id = _one_difference(gw, funded)
    operator = make_user(operator=True, name="Olu")
    difference = db.session.get(GatewayDifference, difference_id)
    with pytest.raises(NotAllowed, match="Only operators can resolve"):
        differences.resolve(difference, make_user(), "Refunded it in the dashboard")
    with pytest.raises(DomainError, match="Say what you found and did"):
        differences.resolve(difference, operator, "  ok ")
    differences.resolve(difference, operator, "Refunded it in the dashboard; key rotated")
    db.session.commit()
    assert differences.open_count() == 0
    difference = db.session.get(GatewayDifference, difference_id)
    assert difference.resolved_by_id == operator.id and difference.resolved_at is not None
    assert difference.reason == "Refunded it in the dashboard; key rotated"
    with pytest.raises(AlreadyResolved, match="resolved already by Olu"):
        differences.resolve(difference, operator, "Once more with feeling")
    db.session.rollback()
    (audit,) = db.session.scalars(sa.select(DifferenceTransition)).all()
    assert (audit.from_status, audit.to_status, audit.actor_id) == (
        DifferenceStatus.OPEN, DifferenceStatus.RESOLVED, operator.id)
    reconcile(gw)  # found again: stays resolved
    assert differences.open_count() == 0


def test_flask_ledger_reconcile_fails_while_a_difference_is_open(app, session, gw, funded):
    cli = app.test_cli_runner()
    clean = cli.invoke(args=["ledger", "reconcile"])
    assert clean.exit_code == 0, clean.output
    assert "No open difference" in clean.output
    difference_id = _one_difference(gw, funded)
    db.session.commit()
    failing = cli.invoke(args=["ledger", "reconcile"])
    assert failing.exit_code == 1
    assert f"OPEN #{difference_id} Charge at the gateway that the platform did not make" in \
        failing.output
    assert "what to do: Money was taken that no pledge of ours asked for" in failing.output
    # An earlier difference keeps it failing whatever the period.
    assert cli.invoke(args=["ledger", "reconcile", "--since", "2020-01-01", "--until",
                            "2020-01-02"]).exit_code == 1
    differences.resolve(db.session.get(GatewayDifference, difference_id),
                        make_user(operator=True), "Made by staff for a test; refunded")
    db.session.commit()
    assert cli.invoke(args=["ledger", "reconcile"]).exit_code == 0
    backwards = cli.invoke(args=["ledger", "reconcile", "--since", "2020-01-05", "--until",
                                 "2020-01-02"])
    assert backwards.exit_code == 2 and "--since must come before --until" in backwards.output


def test_the_daily_job_reconciles_the_last_days(app, session, gw, funded):
    from crowdfund import jobs, queue
    from crowdfund.queue import Job

    jobs.queue_periodic(run.RECONCILE)
    db.session.commit()
    queue.drain(app)
    job = db.session.scalar(sa.select(Job).where(Job.kind == run.RECONCILE))
    assert job.status.value == "done", job.last_error
    assert job.message.endswith("; 0 open")
    assert jobs.PERIODIC[run.RECONCILE] == "GATEWAY_RECONCILE_INTERVAL_SECONDS"
    last = run.last_run()
    assert last.period_until - last.period_from == timedelta(days=3)


def test_pledges_named_in_metadata_that_we_never_made_are_not_linked(app, session, gw, funded):
    pledge = pledge_of(funded[1][0])
    gw.charge_off_session(amount=usd(7), customer_id=pledge.backer.payment_customer_id,
                          payment_method_id=pledge.payment_method_id,
                          metadata={"pledge_id": "999999", "attempt": "1"},
                          idempotency_key="forged")
    reconcile(gw)
    (charge,) = found()[K.CHARGE_NOT_OURS]
    assert charge.pledge_id is None and db.session.get(Pledge, 999999) is None
