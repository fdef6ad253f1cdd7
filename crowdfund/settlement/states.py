"""Charge attempt statuses: the one table of allowed transitions, and its audit record."""

from __future__ import annotations

from crowdfund.settlement.models import (
    ChargeStatus,
    ChargeTransition,
    PayoutStatus,
    PayoutTransition,
    RefundStatus,
    RefundTransition,
)
from crowdfund.statemachine import TransitionTable, audit_recorder

C = ChargeStatus

CHARGE_TRANSITIONS: dict[ChargeStatus, set[ChargeStatus]] = {
    C.STARTED: {C.SUCCEEDED, C.FAILED, C.REQUIRES_ACTION, C.UNKNOWN},
    C.REQUIRES_ACTION: {C.SUCCEEDED, C.FAILED},
    C.UNKNOWN: {C.SUCCEEDED, C.FAILED, C.REQUIRES_ACTION, C.NOT_SENT},
    C.SUCCEEDED: set(),
    C.FAILED: set(),
    C.NOT_SENT: set(),
}

charge_states = TransitionTable("charge", CHARGE_TRANSITIONS,
                                audit_recorder(ChargeTransition, "attempt_id"))

R = RefundStatus
REFUND_TRANSITIONS: dict[RefundStatus, set[RefundStatus]] = {
    R.STARTED: {R.SUCCEEDED, R.FAILED},
    R.SUCCEEDED: set(),
    R.FAILED: set(),
}
refund_states = TransitionTable("refund", REFUND_TRANSITIONS,
                                audit_recorder(RefundTransition, "refund_id"))

PO = PayoutStatus
PAYOUT_TRANSITIONS: dict[PayoutStatus, set[PayoutStatus]] = {
    PO.SCHEDULED: {PO.DUE},
    PO.DUE: {PO.STARTED, PO.PAID},
    PO.STARTED: {PO.PAID, PO.FAILED},
    PO.FAILED: {PO.STARTED, PO.PAID},  # retried, or paid by hand
    PO.PAID: set(),
}
payout_states = TransitionTable("payout", PAYOUT_TRANSITIONS,
                                audit_recorder(PayoutTransition, "payout_id"))
