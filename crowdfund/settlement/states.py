"""Charge attempt statuses: the one table of allowed transitions, and its audit record."""

from __future__ import annotations

from crowdfund.settlement.models import ChargeStatus, ChargeTransition
from crowdfund.statemachine import TransitionTable, audit_recorder

C = ChargeStatus

CHARGE_TRANSITIONS: dict[ChargeStatus, set[ChargeStatus]] = {
    C.STARTED: {C.SUCCEEDED, C.FAILED, C.REQUIRES_ACTION, C.UNKNOWN},
    C.REQUIRES_ACTION: {C.SUCCEEDED, C.FAILED},
    C.UNKNOWN: {C.SUCCEEDED, C.FAILED, C.REQUIRES_ACTION},
    C.SUCCEEDED: set(),
    C.FAILED: set(),
}

charge_states = TransitionTable("charge", CHARGE_TRANSITIONS,
                                audit_recorder(ChargeTransition, "attempt_id"))
