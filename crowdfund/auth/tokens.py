"""Emailed account links (confirm an address, choose a new password): single use, expiring.

A link names an ``AccountToken`` row by its id, signed with the app's secret key and the
link's purpose (itsdangerous): the database holds no secret, and a link cannot be made or
altered without the key. Using it is one conditional UPDATE (``used_at`` from NULL), so of
two uses at once exactly one succeeds, on PostgreSQL as on SQLite.

A row's id is never given to another row, even after it is deleted (closing an account
deletes its links): SQLite tables have AUTOINCREMENT (``crowdfund.db._ids_never_reused``),
PostgreSQL's sequences never reuse an id. So a link, and the outbox's dedupe key and
marker of its message (``account-link-<id>``), of a deleted row name no other one: they
stop working, they never open someone else's.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from crowdfund.auth.models import AccountToken, TokenPurpose, User
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _l

#: The one refusal of a link, whatever the reason (translated when shown).
LINK_INVALID = _l("This link has expired or was already used. Ask for a new one.")


class LinkInvalid(DomainError):
    """A link that is unknown, used, expired or voided: one message for all."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__(LINK_INVALID)


def _signer(purpose: TokenPurpose) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"account-link:{purpose.value}")


def issue(user: User, purpose: TokenPurpose, email: str, valid_for: timedelta) -> AccountToken:
    """A new link for ``user`` (earlier unused ones of the same purpose stop working)."""
    void(user, purpose)
    now = utcnow()
    row = AccountToken(user_id=user.id, purpose=purpose, email=email, created_at=now,
                       expires_at=now + valid_for)
    db.session.add(row)
    db.session.flush()
    return row


def secret_of(row: AccountToken) -> str:
    """The token in the link (computed when the message is sent, never stored)."""
    return _signer(row.purpose).dumps(row.id)


def find(token: str, purpose: TokenPurpose) -> AccountToken:
    """The live row a link names, or ``LinkInvalid`` (whatever the reason)."""
    try:
        row_id = _signer(purpose).loads(token or "")
    except BadData:
        row_id = None
    row = db.session.get(AccountToken, row_id) if isinstance(row_id, int) else None
    if row is None or row.purpose is not purpose or row.used_at is not None \
            or row.expires_at <= utcnow():
        raise LinkInvalid()
    return row


def use(token: str, purpose: TokenPurpose) -> AccountToken:
    """Spend a link: the row, marked used in this transaction (only one use can win)."""
    row = find(token, purpose)
    won = db.session.execute(
        sa.update(AccountToken).where(AccountToken.id == row.id,
                                      AccountToken.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise LinkInvalid()
    db.session.refresh(row)
    return row


def void(user: User, purpose: TokenPurpose) -> None:
    """Every unused link of ``purpose`` for ``user`` stops working (a newer one was sent,
    the password changed)."""
    db.session.execute(
        sa.update(AccountToken).where(AccountToken.user_id == user.id,
                                      AccountToken.purpose == purpose,
                                      AccountToken.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
