"""Offering change statuses: the one table of allowed transitions, and its audit record."""

from __future__ import annotations

from crowdfund.equity.models import OfferingChangeStatus
from crowdfund.statemachine import TransitionTable, audit_recorder

OC = OfferingChangeStatus

OFFERING_CHANGE_TRANSITIONS: dict[OfferingChangeStatus, set[OfferingChangeStatus]] = {
    OC.PENDING: {OC.APPLIED},
    OC.APPLIED: set(),
}

offering_change_states = TransitionTable(
    "offering change", OFFERING_CHANGE_TRANSITIONS,
    audit_recorder(None, "change_id", collection="transitions"))
