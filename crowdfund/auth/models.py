"""User accounts, founder identity verification and sign-in attempts."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.db import TimestampMixin, UTCDateTime, audit_row, str_enum, utcnow
from crowdfund.extensions import db


class User(UserMixin, TimestampMixin, db.Model):
    """A person with an account. Everyone can back; founders are users with campaigns."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalised (lower case, IDNA domain); unique across the platform.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: Argon2id PHC string.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(80))
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    location: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Up to four public links (website, social profiles), http(s) only.
    links: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Operators review campaigns and run settlement; made with the CLI only.
    is_operator: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which emails beyond the transactional ones the person wants (``auth.email_choices``):
    #: updates of campaigns they back or follow, comment replies and answers, news of
    #: founders and campaigns they follow, and (off unless chosen) marketing.
    notify_updates: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_comments: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_followed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_marketing: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: When the person closed the account (their personal data erased: ``auth.privacy``).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the owner opened the link sent to ``email`` (None: not confirmed yet: they may
    #: browse and follow, not pledge, invest, comment or submit a campaign).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The payment gateway's customer (cards are saved on it); created on the first pledge.
    payment_customer_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: The founder's Stripe Connect account (Express) that receives payouts, when connected.
    payout_account_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: The language pages and emails are written in for this person ("en", "zh_Hans": one
    #: of ``crowdfund.i18n.LANGUAGES``); None: their browser's, else DEFAULT_LOCALE.
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    #: The IANA time zone times are shown in ("Asia/Shanghai"); None: the one their
    #: browser reported, else DEFAULT_TIMEZONE.
    timezone: Mapped[str | None] = mapped_column(sa.String(64))

    verification: Mapped[IdentityVerification | None] = relationship(
        back_populates="user", foreign_keys="IdentityVerification.user_id", uselist=False,
        lazy="select",  # read when shown (a badge), not with every user load
    )

    #: The token of the signed-in session this object was loaded for (not a column): what
    #: Flask-Login keeps in the session and the remember cookie, so both name a session
    #: row that can be revoked, never the user's id alone.
    session_token = None

    def get_id(self) -> str:
        if not self.session_token:
            raise RuntimeError("sign in through auth.services.start_session")
        return self.session_token

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_verified(self) -> bool:
        """An operator (or a KYC provider) has confirmed who this founder is."""
        return (
            self.verification is not None
            and self.verification.status is VerificationStatus.VERIFIED
        )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class VerificationStatus(enum.Enum):
    """Where a founder's identity check stands."""

    UNVERIFIED = "unverified"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class IdentityVerification(TimestampMixin, db.Model):
    """The identity check of one founder: done by an operator now, by a KYC provider later."""

    __tablename__ = "identity_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus), default=VerificationStatus.UNVERIFIED
    )
    #: Name on the identity document, as checked.
    legal_name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: "manual" for an operator's check; a provider's name otherwise.
    method: Mapped[str] = mapped_column(sa.String(40), default="manual")
    #: The provider's id of the check (room for a KYC integration).
    provider_reference: Mapped[str | None] = mapped_column(sa.String(200))
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: What the founder submitted (``auth.identity``): born on, lives at, and the image of
    #: an identity document, kept in a private folder of the uploads storage (operators
    #: only) until ``document_delete_after`` (the decision + IDENTITY_DOCUMENT_RETENTION).
    date_of_birth: Mapped[date | None] = mapped_column(sa.Date)
    address: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: The country of that address (ISO 3166-1 alpha-2), checked with it: once verified,
    #: an investor's residence for the investor rules (``equity.investors``).
    country: Mapped[str | None] = mapped_column(sa.String(2))
    document_key: Mapped[str | None] = mapped_column(sa.String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    document_delete_after: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="verification", foreign_keys=[user_id])

    @property
    def is_verified(self) -> bool:
        return self.status is VerificationStatus.VERIFIED
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])
    transitions: Mapped[list[VerificationTransition]] = relationship(
        back_populates="verification", order_by="VerificationTransition.id",
        cascade="all, delete-orphan")


class VerificationTransition(audit_row(VerificationStatus), db.Model):
    """Audit trail of a founder's identity check: each decision, by whom, why."""

    __tablename__ = "verification_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_verifications.id"),
                                                 index=True)

    verification: Mapped[IdentityVerification] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()


class LoginAttempt(db.Model):
    """One sign-in attempt, kept for a day to limit guessing per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_created", "email", "created_at"),
        sa.Index("ix_login_attempts_ip_created", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The normalised email typed, whether or not an account has it.
    email: Mapped[str] = mapped_column(sa.String(254))
    #: The account that had the typed address then (None: none had it): the person's
    #: archive and closing select their attempts by this, never by the address.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    ip: Mapped[str] = mapped_column(sa.String(45))
    succeeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(db.Model):
    """One signed-in browser: its session cookie and "keep me signed in" cookie carry a
    random token whose hash is kept here. Revoking the row signs that browser out, whatever
    cookies it still holds (sign-out, a password change, an operator)."""

    __tablename__ = "user_sessions"
    __table_args__ = (sa.Index("ix_user_sessions_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: SHA-256 of the token in the cookies (the token itself is never stored).
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Updated at most every few minutes (SESSION_TOUCH_EVERY), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When this browser last passed the second factor (sign-in, or asked again before a
    #: sensitive action); None: not asked (the account has none, or not yet).
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "signed out", "password changed", "ended by an operator"...
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(100))

    user: Mapped[User] = relationship()


class TokenPurpose(enum.Enum):
    """What an emailed account link does."""

    VERIFY_EMAIL = "verify_email"  # confirm the address (at registration, or a new one)
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a password)


class AccountToken(db.Model):
    """One emailed account link: single use, expiring. The link carries this row's id
    signed with the app's secret (``auth.tokens``); nothing secret is stored here, and the
    outbox keeps only a marker that becomes the link when the message is sent."""

    __tablename__ = "account_tokens"
    __table_args__ = (sa.Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose))
    #: The address the link was sent to (for VERIFY_EMAIL: the one it confirms).
    email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Used, or voided (a newer link, the password changed): it works no more.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AccountRequest(db.Model):
    """A request that sends an email (register, resend a link, reset a password, change
    the address), kept a day to limit them per address (every kind together) and per
    client, whether or not an account exists."""

    __tablename__ = "account_requests"
    __table_args__ = (
        sa.Index("ix_account_requests_email_created", "email", "created_at"),
        sa.Index("ix_account_requests_ip_created", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    email: Mapped[str] = mapped_column(sa.String(254))
    ip: Mapped[str] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TwoFactor(db.Model):
    """An account's authenticator app (TOTP, RFC 6238). The seed is kept encrypted
    (``auth.two_factor``); ``confirmed_at`` is set once the person typed a first code."""

    __tablename__ = "two_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The 30-second step of the last code accepted: a code is never accepted twice.
    last_step: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One of the ten single-use codes that stand in for the authenticator (hashed)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: HMAC-SHA256 of the code under the app's secret key.
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
