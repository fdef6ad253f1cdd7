"""Match the gateway's record of a period with our rows and ledger.

- Every PaymentIntent (and direct charge) paid at the gateway is a charge attempt of
  ours (by its id, else by our metadata ``pledge_id`` and ``attempt``) that succeeded,
  for the same amount and currency; every attempt of ours that succeeded in the period is
  paid at the gateway.
- Every refund at the gateway is one of ours (by id, else metadata ``refund_id``) that
  succeeded, for the same amount; every refund of ours that succeeded is there.
- With Connect, every transfer is a payout of ours (by id, else metadata ``payout_id``)
  that was paid, for what the founder kept; every payout paid by transfer is there.
- Each charge's processing fee (its balance transaction) is what the ledger books: when
  the estimate differs it is corrected once (``FeeFix``); what cannot be corrected is a
  difference.

Rows of ours still in flight (a charge or refund started, a transfer being sent, a
charge waiting for authentication or unknown) are left to settlement's own look-ups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.ledger.fees import processing_fees_booked
from crowdfund.money import Money
from crowdfund.payments.gateway import PaymentIntentInfo, RefundInfo
from crowdfund.payments.listings import TransferInfo
from crowdfund.settlement.books.differences import Found, describe
from crowdfund.settlement.books.fetch import GatewayRecord
from crowdfund.settlement.books.models import DifferenceKind as K
from crowdfund.settlement.models import (
    ChargeAttempt,
    ChargeStatus,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
)

C, R, PO = ChargeStatus, RefundStatus, PayoutStatus
#: Our side has not finished: settlement looks these up itself.
CHARGE_IN_FLIGHT = frozenset({C.STARTED, C.UNKNOWN, C.REQUIRES_ACTION})
NOTHING = "nothing"
CHUNK = 400


@dataclass(frozen=True)
class FeeFix:
    """A collected charge whose booked processing fee is not the gateway's."""

    attempt: ChargeAttempt
    booked: Money
    actual: Money


@dataclass
class Findings:
    differences: list[Found] = field(default_factory=list)
    fee_fixes: list[FeeFix] = field(default_factory=list)


def _rows(model, column, values: Iterable) -> list:
    """Rows of ``model`` whose ``column`` is one of ``values`` (IN lists of CHUNK)."""
    values = sorted(set(values))
    found = []
    for start in range(0, len(values), CHUNK):
        found += db.session.scalars(sa.select(model).where(
            column.in_(values[start:start + CHUNK]))).all()
    return found


def _period(column, record: GatewayRecord):
    return sa.and_(column >= record.since, column < record.until)


# --- what of ours the lists must hold ------------------------------------------------------


def unlisted(record: GatewayRecord) -> list[str]:
    """Gateway ids of our charges, refunds and transfers finished in the period that the
    lists do not hold: each is looked up one by one before it is called missing."""
    when = sa.func.coalesce
    ours = list(db.session.scalars(sa.select(ChargeAttempt.payment_intent_id).where(
        ChargeAttempt.status == C.SUCCEEDED, ChargeAttempt.payment_intent_id.is_not(None),
        _period(when(ChargeAttempt.finished_at, ChargeAttempt.created_at), record))))
    ours += db.session.scalars(sa.select(Refund.gateway_refund_id).where(
        Refund.status == R.SUCCEEDED, Refund.gateway_refund_id.is_not(None),
        _period(when(Refund.finished_at, Refund.created_at), record)))
    if record.transfers is not None:
        ours += db.session.scalars(sa.select(Payout.transfer_id).where(
            Payout.status == PO.PAID, Payout.transfer_id.is_not(None),
            _period(Payout.paid_at, record)))
    listed = record.known_ids()
    return sorted({object_id for object_id in ours if object_id not in listed})


# --- charges -------------------------------------------------------------------------------


class Charges:
    """Our charge attempts for the PaymentIntents of a record."""

    def __init__(self, intents: Sequence[PaymentIntentInfo]) -> None:
        self.by_intent = {a.payment_intent_id: a for a in _rows(
            ChargeAttempt, ChargeAttempt.payment_intent_id, [pi.id for pi in intents])}
        named = {pi.pledge_id for pi in intents if pi.id not in self.by_intent and pi.pledge_id}
        self.by_number = {(a.pledge_id, a.attempt_no): a for a in _rows(
            ChargeAttempt, ChargeAttempt.pledge_id, named)}

    def of(self, intent: PaymentIntentInfo) -> ChargeAttempt | None:
        attempt = self.by_intent.get(intent.id)
        if attempt is None:
            attempt = self.by_number.get((intent.pledge_id, intent.attempt_no))
            if attempt is not None and attempt.payment_intent_id not in (None, intent.id):
                return None  # a second PaymentIntent for an attempt that has its own
        return attempt


def _attempt_ref(attempt: ChargeAttempt) -> dict:
    return {"our_ref": f"charge attempt {attempt.id}", "campaign_id": attempt.campaign_id,
            "pledge_id": attempt.pledge_id}


def _charge(intent: PaymentIntentInfo, attempt: ChargeAttempt | None) -> Found | None:
    found = describe(intent.amount, intent.status)
    if attempt is None:
        if not intent.succeeded:
            return None  # no money moved
        return Found(K.CHARGE_NOT_OURS, intent.id, None, NOTHING, found)
    if attempt.status in CHARGE_IN_FLIGHT:
        return None
    expected = describe(attempt.amount, attempt.status.value)
    if intent.succeeded != (attempt.status is C.SUCCEEDED):
        return Found(K.CHARGE_STATUS, intent.id, expected=expected, found=found,
                     **_attempt_ref(attempt))
    if intent.succeeded and intent.amount != attempt.amount:
        return Found(K.CHARGE_AMOUNT, intent.id, expected=expected, found=found,
                     **_attempt_ref(attempt))
    return None


def charge_differences(record: GatewayRecord, charges: Charges) -> list[Found]:
    found = [f for pi in record.payment_intents if (f := _charge(pi, charges.of(pi)))]
    # A charge made without a PaymentIntent never comes from us.
    found += [Found(K.CHARGE_NOT_OURS, charge.id, None, NOTHING,
                    describe(charge.amount, charge.status))
              for charge in record.charges
              if charge.payment_intent_id is None and charge.succeeded]
    found += [Found(K.CHARGE_MISSING, attempt.payment_intent_id,
                    expected=describe(attempt.amount, attempt.status.value),
                    found="no such PaymentIntent", **_attempt_ref(attempt))
              for attempt in _rows(ChargeAttempt, ChargeAttempt.payment_intent_id,
                                   record.unknown_ids)
              if attempt.status is C.SUCCEEDED]
    return found


# --- refunds -------------------------------------------------------------------------------


def _refund(item: RefundInfo, ours: Refund | None, charges: Charges) -> Found | None:
    found = describe(item.amount, item.status)
    if ours is None:
        if item.failed:
            return None
        attempt = charges.by_intent.get(item.payment_intent_id)
        link = ({"campaign_id": attempt.campaign_id, "pledge_id": attempt.pledge_id}
                if attempt else {})
        return Found(K.REFUND_NOT_OURS, item.id, None, NOTHING,
                     f"{found} of {item.payment_intent_id or 'a charge'}", **link)
    if ours.status is R.STARTED:
        return None
    ref = {"our_ref": f"refund {ours.id}", "campaign_id": ours.campaign_id,
           "pledge_id": ours.pledge_id}
    expected = describe(ours.amount, ours.status.value)
    if item.failed == (ours.status is R.SUCCEEDED):
        return Found(K.REFUND_STATUS, item.id, expected=expected, found=found, **ref)
    if not item.failed and item.amount != ours.amount:
        return Found(K.REFUND_AMOUNT, item.id, expected=expected, found=found, **ref)
    return None


def refund_differences(record: GatewayRecord, charges: Charges) -> list[Found]:
    by_id = {r.gateway_refund_id: r for r in _rows(
        Refund, Refund.gateway_refund_id, [item.id for item in record.refunds])}
    by_row = {r.id: r for r in _rows(Refund, Refund.id, [
        item.refund_row_id for item in record.refunds
        if item.id not in by_id and item.refund_row_id])}

    def ours(item: RefundInfo) -> Refund | None:
        row = by_id.get(item.id) or by_row.get(item.refund_row_id)
        return row if row and row.gateway_refund_id in (None, item.id) else None

    found = [f for item in record.refunds if (f := _refund(item, ours(item), charges))]
    found += [Found(K.REFUND_MISSING, refund.gateway_refund_id, f"refund {refund.id}",
                    describe(refund.amount, refund.status.value), "no such refund",
                    refund.campaign_id, refund.pledge_id)
              for refund in _rows(Refund, Refund.gateway_refund_id, record.unknown_ids)
              if refund.status is R.SUCCEEDED]
    return found


# --- transfers -----------------------------------------------------------------------------


def _transfer(item: TransferInfo, ours: Payout | None) -> Found | None:
    found = describe(item.net, "sent")
    if ours is None:
        return Found(K.TRANSFER_NOT_OURS, item.id, None, NOTHING,
                     f"{found} to {item.destination or 'an account'}")
    if ours.status is PO.STARTED:
        return None
    ref = {"our_ref": f"payout {ours.id}", "campaign_id": ours.campaign_id}
    expected = describe(ours.amount, ours.status.value)
    if ours.status is not PO.PAID:
        return Found(K.TRANSFER_STATUS, item.id, expected=expected, found=found, **ref)
    if item.net != ours.amount:
        return Found(K.TRANSFER_AMOUNT, item.id, expected=expected, found=found, **ref)
    return None


def transfer_differences(record: GatewayRecord) -> list[Found]:
    if record.transfers is None:
        return []
    by_id = {p.transfer_id: p for p in _rows(Payout, Payout.transfer_id,
                                             [t.id for t in record.transfers])}
    by_row = {p.id: p for p in _rows(Payout, Payout.id, [
        t.payout_id for t in record.transfers if t.id not in by_id and t.payout_id])}

    def ours(item: TransferInfo) -> Payout | None:
        row = by_id.get(item.id) or by_row.get(item.payout_id)
        return row if row and row.transfer_id in (None, item.id) else None

    found = [f for item in record.transfers if (f := _transfer(item, ours(item)))]
    found += [Found(K.TRANSFER_MISSING, payout.transfer_id, f"payout {payout.id}",
                    describe(payout.amount, payout.status.value), "no such transfer",
                    payout.campaign_id)
              for payout in _rows(Payout, Payout.transfer_id, record.unknown_ids)
              if payout.status is PO.PAID]
    return found


# --- fees ----------------------------------------------------------------------------------


def fees(record: GatewayRecord, charges: Charges, findings: Findings) -> None:
    """Each collected charge's actual fee against what the ledger books for it."""
    intent_of = {c.id: c.payment_intent_id for c in record.charges if c.payment_intent_id}
    intent_of |= {pi.charge_id: pi.id for pi in record.payment_intents if pi.charge_id}
    paid = []
    for bt in record.balance_transactions:
        attempt = charges.by_intent.get(intent_of.get(bt.source_id)) if bt.is_charge else None
        if attempt is not None and attempt.status is C.SUCCEEDED:
            paid.append((attempt, bt))
    booked = processing_fees_booked([attempt.id for attempt, _ in paid])
    for attempt, bt in paid:
        if attempt.id not in booked:
            continue  # not booked at all: ``flask ledger check`` says so
        amount, corrected = booked[attempt.id]
        ours = Money(amount, attempt.currency)
        if bt.fee.currency == attempt.currency and bt.fee.amount == amount:
            continue
        if bt.fee.currency != attempt.currency or corrected:
            findings.differences.append(Found(
                K.FEE, bt.id, expected=f"fee {describe(ours)}", found=f"fee {describe(bt.fee)}",
                **_attempt_ref(attempt)))
        else:
            findings.fee_fixes.append(FeeFix(attempt, ours, bt.fee))


def match(record: GatewayRecord) -> Findings:
    """Every difference between the record and our books, and the fees to correct."""
    charges = Charges(record.payment_intents)
    findings = Findings()
    findings.differences += charge_differences(record, charges)
    findings.differences += refund_differences(record, charges)
    findings.differences += transfer_differences(record)
    fees(record, charges, findings)
    return findings
