"""Charge attempt, refund, payout and dispute statuses: one table of allowed transitions
each, and its audit record."""

from __future__ import annotations

from crowdfund.settlement.models import (
    ChargeStatus,
    ChargeTransition,
    DisputeStatus,
    DisputeTransition,
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

D = DisputeStatus
#: Forward only: a late or repeated event that would move a dispute back (an ``updated``
#: after ``closed``) is not allowed, so it changes nothing. An inquiry may become a
#: dispute (even after it closed); a decided dispute never changes again.
DISPUTE_TRANSITIONS: dict[DisputeStatus, set[DisputeStatus]] = {
    D.WARNING_NEEDS_RESPONSE: {D.WARNING_UNDER_REVIEW, D.WARNING_CLOSED, D.NEEDS_RESPONSE,
                               D.UNDER_REVIEW, D.WON, D.LOST},
    D.WARNING_UNDER_REVIEW: {D.WARNING_CLOSED, D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.WON,
                             D.LOST},
    D.WARNING_CLOSED: {D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.WON, D.LOST},
    D.NEEDS_RESPONSE: {D.UNDER_REVIEW, D.WON, D.LOST},
    D.UNDER_REVIEW: {D.WON, D.LOST},
    D.WON: set(),
    D.LOST: set(),
}
dispute_states = TransitionTable("dispute", DISPUTE_TRANSITIONS,
                                 audit_recorder(DisputeTransition, "dispute_id"))
