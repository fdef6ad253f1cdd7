"""A founder's identity check: the founder submits their legal name, date of birth,
address and an image of an identity document; an operator looks at them beside the
account and approves or refuses with a reason (``services.set_verification``); the
document is deleted a while after the decision. Every step is a row of the audit trail.

The document lives in a private folder of the uploads storage: never served by the public
uploads route, only by the operators' page (``PRIVATE_FOLDER``)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from crowdfund.auth.models import IdentityVerification, User, VerificationStatus
from crowdfund.auth.states import verification_states
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.locking import lock_key
from crowdfund.storage import storage
from crowdfund.supervision import FAILED, isolated

#: Where identity documents are stored; the public uploads route refuses it.
PRIVATE_FOLDER = "identity"
ADULT_AT = 18
#: An operator's decisions: the founder is emailed each, and the document's deletion is
#: scheduled from it.
DECISIONS = frozenset({VerificationStatus.VERIFIED, VerificationStatus.REJECTED})


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def submit(user: User, *, legal_name: str, date_of_birth: date, address: str,
           document_key: str, country: str | None = None) -> str | None:
    """The founder's submission, waiting for an operator (pending). Returns the earlier
    document's key, to delete once committed."""
    if not legal_name.strip():
        raise DomainError(_("Give your legal name as it is on the document."),
                          field="legal_name")
    today = utcnow().date()
    if date_of_birth >= today or date_of_birth.year < 1900:
        raise DomainError(_("Give your real date of birth."), field="date_of_birth")
    if _age_on(date_of_birth, today) < ADULT_AT:
        raise DomainError(ngettext("Founders are at least %(num)s year old.",
                                   "Founders are at least %(num)s years old.", ADULT_AT),
                          field="date_of_birth")
    if len(address.strip()) < 10:
        raise DomainError(_("Give your full address: street, town, postcode, country."),
                          field="address")
    if not document_key.startswith(f"{PRIVATE_FOLDER}/"):
        raise DomainError(_("Add an image of your identity document."), field="document")
    record = record_of(user)
    if record.status is VerificationStatus.VERIFIED:
        raise DomainError(_("Your identity is already verified."))
    old = record.document_key
    verification_states.apply(record, VerificationStatus.PENDING, actor=user,
                              reason="Documents submitted by the founder")
    record.legal_name = legal_name.strip()
    record.date_of_birth = date_of_birth
    record.address = address.strip()
    record.country = country.upper() if country else None
    record.document_key = document_key
    record.submitted_at = utcnow()
    record.document_delete_after = None
    db.session.add(record)
    return old if old != document_key else None


def record_of(user: User) -> IdentityVerification:
    """The user's check, read under a lock on the user (one row per user: two first
    submissions or decisions at once would both insert one), or a new one."""
    lock_key("identity check", str(user.id))
    db.session.expire(user, ["verification"])
    return user.verification or IdentityVerification(
        user=user, status=VerificationStatus.UNVERIFIED)


def waiting_checks() -> list[IdentityVerification]:
    """Every check waiting for an operator's decision, oldest submission first, with its
    person (whether or not they have a campaign yet)."""
    return list(db.session.scalars(
        sa.select(IdentityVerification)
        .where(IdentityVerification.status == VerificationStatus.PENDING)
        .options(joinedload(IdentityVerification.user).lazyload(User.verification))
        .order_by(IdentityVerification.submitted_at, IdentityVerification.id)))


def schedule_deletion(record: IdentityVerification, decided_at: datetime) -> None:
    """After a decision the document is kept IDENTITY_DOCUMENT_RETENTION, then deleted."""
    if record.document_key:
        record.document_delete_after = decided_at + \
            current_app.config["IDENTITY_DOCUMENT_RETENTION"]


def delete_expired_documents(now: datetime | None = None) -> int:
    """Delete the documents whose retention after the decision is over, each on its own:
    one that cannot be deleted is recorded for operators and the others go on. Returns how
    many were deleted."""
    now = now or utcnow()
    app = current_app._get_current_object()
    ids = list(db.session.scalars(sa.select(IdentityVerification.id).where(
        IdentityVerification.document_key.is_not(None),
        IdentityVerification.document_delete_after <= now)))
    db.session.commit()
    return sum(isolated(app, "identity document", f"verification {record_id}",
                        _delete_document, record_id) is not FAILED for record_id in ids)


def _delete_document(record_id: int) -> None:
    record = db.session.get(IdentityVerification, record_id)
    # The file first (the storage may commit; deleting twice is harmless), then the record.
    storage().delete(record.document_key)
    record.document_key = record.document_delete_after = None
    db.session.commit()


def discard(key: str | None) -> None:
    """Delete a stored document no check refers to (a refused form's, a replaced one): the
    same photo sent twice has the same key, and one still in use stays."""
    if key and db.session.scalar(sa.select(sa.exists().where(
            IdentityVerification.document_key == key))) is False:
        storage().delete(key)


def document_of(user: User):
    """The stored document of ``user`` (for operators' eyes only), or None."""
    record = user.verification
    if record is None or not record.document_key:
        return None
    return storage().get(record.document_key)
