"""Personal access tokens for the JSON API (docs/api.md#tokens).

A person makes a token on their account page, names it, chooses what it may do (its
scopes) and for how long; the secret is shown once and only its SHA-256 is stored (a
token has 256 random bits: a slow password hash would add nothing but time on every
request). The API finds a token by that hash; a revoked or expired token, or one of a
closed account, is refused with one answer. Tokens are the only way into the API: the
session cookie is not accepted there, so no page can be driven through it.

The secret's first characters (``cf_`` and eight more) are stored in the clear too, so that
the account page can show which token is which.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.db import UTCDateTime, utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, _l

#: What every secret starts with (so that leaked ones can be recognised by scanners).
PREFIX = "cf_"
#: How many tokens one person may hold at once (revoked and expired ones not counted).
MAX_TOKENS = 20
#: The lifetimes offered, in days.
LIFETIMES = (7, 30, 90, 365)


class Scope(enum.Enum):
    """What a token may do. ``read``: the holder's own data; ``pledge``: back, change and
    cancel, follow, comment; ``founder``: the holder's campaigns, backers and updates."""

    READ = "read"
    PLEDGE = "pledge"
    FOUNDER = "founder"

    @property
    def label(self) -> str:
        return str(_SCOPE_LABELS[self])


_SCOPE_LABELS = {
    Scope.READ: _l("Read your pledges, investments and account"),
    Scope.PLEDGE: _l("Back, change and cancel pledges; follow; comment"),
    Scope.FOUNDER: _l("Read your campaigns and backers; post updates"),
}


class ApiToken(db.Model):
    """A personal access token (see the module)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: The holder's own name for it ("My phone").
    name: Mapped[str] = mapped_column(sa.String(60))
    #: The secret's first 11 characters, to tell tokens apart on the account page.
    shown_prefix: Mapped[str] = mapped_column(sa.String(16))
    #: SHA-256 of the whole secret, in hex: how a request's token is found.
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The scopes, space-separated ("read pledge").
    scopes: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes.split())

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class TokenInvalid(DomainError):
    """No such token, or revoked, or expired, or its account is closed: one answer."""

    status_code = 401


class TokenRefused(DomainError):
    """A token that cannot be made as asked (too many, no scope, a lifetime not offered)."""

    status_code = 400


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, newest first (revoked ones too: the page shows when)."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())))


def create_token(user: User, name: str, scopes: list[Scope], days: int,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``: (the row, the secret to show once)."""
    now = now or utcnow()
    if not scopes:
        raise TokenRefused(_("Choose at least one thing the token may do."), field="scopes")
    if days not in LIFETIMES:
        raise TokenRefused(_("Choose how long the token works."), field="days")
    held = db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now))
    if held >= MAX_TOKENS:
        raise TokenRefused(_("You have %(num)s tokens already: revoke one you no longer use "
                             "first.", num=MAX_TOKENS), field="name")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip()[:60], shown_prefix=secret[:11],
                     secret_hash=hash_secret(secret),
                     scopes=" ".join(s.value for s in Scope if s in scopes),
                     created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(user: User, token_id: int, now: datetime | None = None) -> ApiToken | None:
    """Revoke one of the person's tokens; None when it is not theirs (the page's 404)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return None
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    return token


def authenticate(secret: str, now: datetime | None = None) -> ApiToken:
    """The active token ``secret`` names, with its holder; ``TokenInvalid`` otherwise."""
    now = now or utcnow()
    if not secret.startswith(PREFIX) or len(secret) > 100:
        raise TokenInvalid(_l("The access token is not valid: it may have expired or been "
                              "revoked."))
    token = db.session.scalar(sa.select(ApiToken).where(
        ApiToken.secret_hash == hash_secret(secret)))
    if token is None or not token.active(now) or token.user.closed_at is not None:
        raise TokenInvalid(_l("The access token is not valid: it may have expired or been "
                              "revoked."))
    return token


@privacy.exports("api_tokens")
def export(user: User) -> list[dict]:
    """The person's tokens for their data archive (never the hash)."""
    return [{"name": t.name, "prefix": t.shown_prefix, "scopes": t.scopes,
             "created_at": t.created_at.isoformat(), "expires_at": t.expires_at.isoformat(),
             "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None}
            for t in tokens_of(user)]


@privacy.erases("api_tokens")
def erase(user: User) -> None:
    """Closing the account deletes its tokens."""
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
