"""Identity verification statuses: the one table of allowed transitions, and its audit
record."""

from __future__ import annotations

from crowdfund.auth.models import VerificationStatus
from crowdfund.i18n import _l
from crowdfund.statemachine import TransitionTable, audit_recorder, label_statuses

#: An operator decides, and may decide again or save the same decision (a name corrected,
#: a document looked at again): every save is a row of the audit trail.
VERIFICATION_TRANSITIONS: dict[VerificationStatus, set[VerificationStatus]] = {
    status: set(VerificationStatus) for status in VerificationStatus
}

#: What operators' pages and the audit trail call each status (the founder's page says
#: "Not accepted" for a refusal too).
VERIFICATION_LABELS = label_statuses({
    VerificationStatus.UNVERIFIED: _l("Not verified"),
    VerificationStatus.PENDING: _l("Waiting for a decision"),
    VerificationStatus.VERIFIED: _l("Verified"),
    VerificationStatus.REJECTED: _l("Not accepted"),
})

verification_states = TransitionTable(
    "identity verification", VERIFICATION_TRANSITIONS,
    audit_recorder(None, "verification_id", collection="transitions"))
