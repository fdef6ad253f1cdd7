"""Charge attempt statuses: the one table of allowed transitions, and its audit record."""

from __future__ import annotations

from crowdfund.extensions import db
from crowdfund.settlement.models import ChargeStatus, ChargeTransition
from crowdfund.statemachine import TransitionTable

C = ChargeStatus

CHARGE_TRANSITIONS: dict[ChargeStatus, set[ChargeStatus]] = {
    C.STARTED: {C.SUCCEEDED, C.FAILED, C.REQUIRES_ACTION, C.UNKNOWN},
    C.REQUIRES_ACTION: {C.SUCCEEDED, C.FAILED},
    C.UNKNOWN: {C.SUCCEEDED, C.FAILED, C.REQUIRES_ACTION},
    C.SUCCEEDED: set(),
    C.FAILED: set(),
}


def _record(attempt, from_status, to_status, actor, reason) -> None:
    db.session.add(ChargeTransition(attempt_id=attempt.id, from_status=from_status,
                                    to_status=to_status, actor_id=getattr(actor, "id", None),
                                    reason=reason))


charge_states = TransitionTable("charge", CHARGE_TRANSITIONS, _record)
