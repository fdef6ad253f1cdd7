"""A person's privacy rights: everything about them as one JSON archive, and closing the
account, which erases their personal data except what the law or the books need (kept
under the account's id, which no longer names anybody).

Every feature knows its own data: it registers here (from its ``subscribers``) what it
exports, what would stop the account from closing now, what closing does to it, and how it
erases. Accounts call them in turn; no feature imports another.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa

from crowdfund.auth import passwords
from crowdfund.auth.models import (
    AccountRequest,
    AccountToken,
    LoginAttempt,
    RecoveryCode,
    TwoFactor,
    User,
    UserSession,
)
from crowdfund.auth.services import InvalidCredentials
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _

_EXPORTS: dict[str, Callable[[User], object]] = {}
_BLOCKERS: list[Callable[[User], list[str]]] = []
_CONSEQUENCES: list[Callable[[User], list[str]]] = []
#: Erasers by name: the features' first, then the ``last`` ones (the emails: the others
#: queue messages as they close things).
_ERASERS: dict[str, Callable[[User], None]] = {}
_LAST_ERASERS: dict[str, Callable[[User], None]] = {}
#: What stays after closing, and why (shown on the page before closing).
KEPT: list[tuple[str, str]] = []


def exports(name: str):
    """Register ``fn(user) -> data``: the part ``name`` of the user's archive."""
    def register(fn):
        _EXPORTS[name] = fn
        return fn
    return register


def blocks(fn):
    """Register ``fn(user) -> [reason]``: why the account cannot close now."""
    if fn not in _BLOCKERS:
        _BLOCKERS.append(fn)
    return fn


def explains(fn):
    """Register ``fn(user) -> [sentence]``: what closing does to what the user has."""
    if fn not in _CONSEQUENCES:
        _CONSEQUENCES.append(fn)
    return fn


def erases(name: str, kept: tuple[str, str] | None = None, *, last: bool = False):
    """Register ``fn(user)``: erase the feature's personal data of the user (in the closing
    transaction); ``kept``: (what stays, why), for the page; ``last``: after every other
    feature's (the emails: others queue messages as they close things)."""
    def register(fn):
        erasers = _LAST_ERASERS if last else _ERASERS
        if name not in erasers and kept:
            KEPT.append(kept)
        erasers[name] = fn
        return fn
    return register


def closed_address(user: User) -> str:
    """The address a closed account (and what was sent to it) is left with."""
    return f"closed-{user.id}@closed.invalid"


def addresses_of(user: User) -> set[str]:
    """Every address the person had or asked for, as far as the account's own rows tell:
    the current one, those its links were sent to, those its sign-in attempts typed. For
    erasing rows kept by address before rows carried the person's id (and rows of an
    address no account had then); everything else is selected by the person's id."""
    typed = db.session.scalars(sa.select(LoginAttempt.email).where(
        LoginAttempt.user_id == user.id).distinct())
    linked = db.session.scalars(sa.select(AccountToken.email).where(
        AccountToken.user_id == user.id).distinct())
    return {user.email, *linked, *(email.removeprefix("2fa:") for email in typed)}


def plain(value):
    """A value as JSON has it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def rows(stmt, *columns: str) -> list[dict]:
    """The rows of ``stmt`` (one entity) as dicts of ``columns``."""
    return [{c: plain(getattr(row, c)) for c in columns} for row in db.session.scalars(stmt)]


# --- the archive -------------------------------------------------------------------------


def export(user: User) -> dict:
    """Everything about ``user``: the account's own parts, then each feature's."""
    archive = {
        "generated_at": plain(utcnow()),
        "account": {c: plain(getattr(user, c)) for c in (
            "id", "email", "display_name", "bio", "location", "links", "created_at",
            "email_verified_at", "last_login_at", "notify_updates", "notify_comments",
            "notify_followed", "notify_marketing", "is_operator")},
        "identity_check": ({c: plain(getattr(user.verification, c)) for c in (
            "status", "legal_name", "date_of_birth", "address", "submitted_at", "checked_at",
            "note")} if user.verification else None),
        "two_factor": {"on": db.session.scalar(sa.select(TwoFactor.confirmed_at).where(
            TwoFactor.user_id == user.id)) is not None},
        "sessions": rows(sa.select(UserSession).where(UserSession.user_id == user.id)
                         .order_by(UserSession.id), "created_at", "last_seen_at", "ip",
                         "user_agent", "revoked_at", "revoked_reason"),
        "sign_in_attempts": rows(sa.select(LoginAttempt).where(
            LoginAttempt.user_id == user.id).order_by(LoginAttempt.id), "created_at", "ip",
            "succeeded"),
    }
    for name, fn in _EXPORTS.items():
        archive[name] = fn(user)
    return archive


# --- closing the account -------------------------------------------------------------------


def blockers(user: User) -> list[str]:
    return [reason for fn in _BLOCKERS for reason in fn(user)]


def consequences(user: User) -> list[str]:
    return [sentence for fn in _CONSEQUENCES for sentence in fn(user)]


def close_account(user: User, password: str) -> list[str]:
    """Erase the person and close the account, in the caller's transaction: each feature
    first (pledges cancelled, comments emptied...), then the account itself. Returns the
    stored files to delete once committed (the storage may commit as it deletes)."""
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidCredentials(_("Your password is incorrect."), field="password")
    reasons = blockers(user)
    if reasons:
        # TRANSLATORS: reasons are the sentences saying what stops it ("Your pledge to X is
        # being collected."), one after the other.
        raise DomainError(_("Your account cannot be closed yet: %(reasons)s",
                            reasons=" ".join(str(reason) for reason in reasons)))
    for erase in [*_ERASERS.values(), *_LAST_ERASERS.values()]:
        erase(user)
    return _erase_account(user)


def _erase_account(user: User) -> list[str]:
    addresses = addresses_of(user)
    for model, column in ((UserSession, UserSession.user_id), (AccountToken, AccountToken.user_id),
                          (RecoveryCode, RecoveryCode.user_id), (TwoFactor, TwoFactor.user_id),
                          (LoginAttempt, LoginAttempt.user_id)):
        db.session.execute(sa.delete(model).where(column == user.id))
    db.session.execute(sa.delete(LoginAttempt).where(
        LoginAttempt.user_id.is_(None),
        LoginAttempt.email.in_([*addresses, *(f"2fa:{email}" for email in addresses)])))
    db.session.execute(sa.delete(AccountRequest).where(AccountRequest.email.in_(addresses)))
    files = []
    if user.verification is not None:
        record = user.verification
        files = [record.document_key] if record.document_key else []
        record.legal_name, record.note, record.address = "", "", ""
        record.date_of_birth = record.document_key = record.document_delete_after = None
    user.email = closed_address(user)
    user.display_name = f"Closed account {user.id}"
    user.bio, user.location, user.links = "", "", []
    user.password_hash = passwords.hash_password(secrets.token_urlsafe(32))  # nobody's
    user.payment_customer_id = None
    user.is_operator = False
    user.email_verified_at = None
    user.notify_updates = user.notify_comments = user.notify_followed = False
    user.notify_marketing = False
    user.closed_at = utcnow()
    return files
