"""Pledge statuses: the one table of allowed transitions, and its audit record."""

from __future__ import annotations

from crowdfund.pledges.models import PledgeStatus, PledgeTransition
from crowdfund.pledges.summary import moved_many
from crowdfund.statemachine import TransitionTable, audit_recorder

P = PledgeStatus

PLEDGE_TRANSITIONS: dict[PledgeStatus, set[PledgeStatus]] = {
    # Pending to collected: a late pledge, charged at once (``pledges.late``).
    P.PENDING: {P.ACTIVE, P.CANCELLED, P.RELEASED, P.COLLECTED},
    P.ACTIVE: {P.CANCELLED, P.RELEASED, P.COLLECTED, P.ERRORED, P.AUTHENTICATION_REQUIRED},
    P.ERRORED: {P.COLLECTED, P.AUTHENTICATION_REQUIRED, P.DROPPED},
    P.AUTHENTICATION_REQUIRED: {P.COLLECTED, P.ERRORED, P.DROPPED},
    P.COLLECTED: {P.REFUNDED, P.DISPUTED},
    P.DISPUTED: {P.COLLECTED, P.REFUNDED},
    P.CANCELLED: set(),
    P.RELEASED: set(),
    P.DROPPED: set(),
    P.REFUNDED: set(),
}


pledge_states = TransitionTable("pledge", PLEDGE_TRANSITIONS,
                                audit_recorder(PledgeTransition, "pledge_id"),
                                after_many=moved_many)
