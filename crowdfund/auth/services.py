"""Account services: registration, authentication with throttling, passwords, profiles."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from crowdfund import events
from crowdfund.auth import identity, passwords
from crowdfund.auth.models import (
    IdentityVerification,
    LoginAttempt,
    TokenPurpose,
    User,
    UserSession,
    VerificationStatus,
)
from crowdfund.auth.states import verification_states
from crowdfund.auth.tokens import void as void_links
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import LANGUAGES, _, _l, ngettext, valid_timezone
from crowdfund.locking import lock_key


class EmailInvalid(DomainError):
    """Not an email address."""


class EmailTaken(DomainError):
    """Another account has this email."""


class InvalidCredentials(DomainError):
    """Wrong email or password (never says which)."""

    status_code = 401


class LoginThrottled(DomainError):
    """Too many failed attempts for this account or address."""

    status_code = 429


class WeakPassword(DomainError):
    """A password that does not meet the policy."""


#: What is wrong with an address, by the start of email_validator's (English only) reason;
#: any other reason reads as ``_NOT_AN_ADDRESS``.
_EMAIL_PROBLEMS = (
    ("An email address must have an @-sign.", _l("An email address must have an @-sign.")),
    ('The email address has the "full-width" at-sign',
     _l("Use the regular @ sign, not the full-width ＠.")),
    ('The email address has the "small commercial at"', _l("Use the regular @ sign.")),
    ("There must be something before the @-sign.",
     _l("There must be something before the @-sign.")),
    ("There must be something after the @-sign.",
     _l("There must be something after the @-sign.")),
    ("The part after the @-sign is not valid. It should have a period.",
     _l("The part after the @-sign is not valid. It should have a period.")),
    ("The email address is too long", _l("The email address is too long.")),
)
_NOT_AN_ADDRESS = _l("This is not a valid email address: check it for typing mistakes.")


def _email_problem(reason: str):
    return next((ours for start, ours in _EMAIL_PROBLEMS if reason.startswith(start)),
                _NOT_AN_ADDRESS)


def normalise_email(raw: str) -> str:
    """Canonical form of an email: syntax checked, domain IDNA-normalised, lower case."""
    try:
        result = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise EmailInvalid(_email_problem(str(exc)), field="email") from None
    return result.normalized.lower()


def check_password_policy(password: str, email: str | None = None,
                          name: str | None = None) -> None:
    """Long enough, not one of the common or breached passwords, not the person's own
    email or name (``passwords.weakness``)."""
    if len(password) < passwords.MIN_LENGTH:
        raise WeakPassword(_("Use at least %(num)s characters.", num=passwords.MIN_LENGTH),
                           field="password")
    if len(password) > passwords.MAX_LENGTH:
        raise WeakPassword(_("Use at most %(num)s characters.", num=passwords.MAX_LENGTH),
                           field="password")
    problem = passwords.weakness(password, email=email, name=name)
    if problem:
        raise WeakPassword(problem, field="password")


def register_user(email: str, password: str, display_name: str,
                  locale: str | None = None, timezone: str | None = None) -> User:
    """Create an account; the email must be free. ``locale``: the language the person was
    reading in as they registered (one of ``LANGUAGES``, else none is saved): pages and
    emails are written in it from then on, whoever triggers them; ``timezone``: the zone
    their browser reported (an IANA name, else none is saved)."""
    email = normalise_email(email)
    check_password_policy(password, email, display_name)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(_("An account with this email already exists."), field="email")
    user = User(
        email=email,
        password_hash=passwords.hash_password(password),
        display_name=display_name.strip(),
        locale=locale if locale in LANGUAGES else None,
        timezone=valid_timezone(timezone),
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # lost a race with an identical registration
        raise EmailTaken(_("An account with this email already exists."),
                         field="email") from None
    return user


@dataclass(frozen=True)
class Throttle:
    """Failures counted in the window, per account and per address."""

    account_failures: int
    ip_failures: int


def _failures(column, value: str, since) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at >= since
        )
    ) or 0


def throttle_state(email: str, ip: str) -> Throttle:
    """Failures in the sliding window. Per account, a success starts the count again (the
    owner got in); per address it does not, or one account of an attacker's own would
    reset the count between guesses at everybody else's."""
    since = utcnow() - current_app.config["LOGIN_WINDOW"]
    last_ok = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True),
            LoginAttempt.created_at >= since))
    return Throttle(
        account_failures=_failures(LoginAttempt.email, email, max(since, last_ok or since)),
        ip_failures=_failures(LoginAttempt.ip, ip, since),
    )


def authenticate(raw_email: str, password: str, ip: str) -> User:
    """Check a sign-in and record the attempt; the caller commits either way.

    Refuses while the account or the address has too many recent failures, with
    the same message whether or not the account exists.
    """
    cfg = current_app.config
    try:
        email = normalise_email(raw_email)
    except EmailInvalid:
        email = (raw_email or "").strip().lower()[:254]
    # Attempts from one address, and at one account, are counted one after the other: the
    # previous one's row is committed before the next one counts (parallel guesses would
    # all read the same count otherwise). Released at commit.
    lock_key("sign-in address", ip)
    lock_key("sign-in account", email)
    state = throttle_state(email, ip)
    minutes = int(cfg["LOGIN_WINDOW"].total_seconds() // 60)
    if (
        state.account_failures >= cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or state.ip_failures >= cfg["LOGIN_MAX_FAILURES_PER_IP"]
    ):
        raise LoginThrottled(ngettext(
            "Too many failed sign-in attempts. Please wait %(num)s minute and try again.",
            "Too many failed sign-in attempts. Please wait %(num)s minutes and try again.",
            minutes))
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        passwords.burn_time(password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    db.session.add(LoginAttempt(email=email, user_id=user.id if user is not None else None,
                                ip=ip, succeeded=ok))
    _prune_attempts()
    if not ok or user is None:
        raise InvalidCredentials(_("Email or password is incorrect."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    return user


def _prune_attempts() -> None:
    cutoff = utcnow() - max(timedelta(days=1), current_app.config["LOGIN_WINDOW"])
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.created_at < cutoff))


def change_password(user: User, current: str, new: str) -> int:
    """A new password; every other session of the user ends. Returns how many ended."""
    if not passwords.verify_password(user.password_hash, current):
        raise InvalidCredentials(_("Your current password is incorrect."),
                                 field="current_password")
    check_password_policy(new, user.email, user.display_name)
    user.password_hash = passwords.hash_password(new)
    void_links(user, TokenPurpose.RESET_PASSWORD)  # a reset link dies with the old password
    events.password_changed.send(user, how="changed")
    return end_sessions(user, "password changed", keep_token=user.session_token)


# --- sessions ----------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, ip: str, user_agent: str) -> str:
    """A new signed-in session for ``user``; its token becomes ``user.session_token`` (what
    the cookies carry). The caller commits before the cookies are set."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_token_hash(token), ip=ip[:45],
                               user_agent="".join(c for c in user_agent
                                                  if c.isprintable())[:300]))
    user.session_token = token
    return token


@functools.cache
def _live_session() -> sa.Select:
    """A live session by its token's hash, with its user: one query per request for both,
    built once (every signed-in request runs it)."""
    return (sa.select(UserSession)
            .where(UserSession.token_hash == sa.bindparam("token_hash"),
                   UserSession.revoked_at.is_(None))
            .options(joinedload(UserSession.user)))


def session_user(token: str, now: datetime | None = None) -> tuple[User, int | None] | None:
    """The user of a live session, or None when the token is unknown, revoked or expired
    (the cookie's holder is then signed out); with the session row's id when its
    ``last_seen_at`` is older than SESSION_TOUCH_EVERY (see ``touch_session``)."""
    cfg = current_app.config
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = db.session.scalar(_live_session(), {"token_hash": _token_hash(token)})
    if row is None or row.last_seen_at < now - cfg["REMEMBER_COOKIE_DURATION"]:
        return None
    user = row.user
    user.session_token = token
    return user, (row.id if row.last_seen_at < now - cfg["SESSION_TOUCH_EVERY"] else None)


def touch_session(session_id: int) -> None:
    """The session was used now (for the session list)."""
    db.session.execute(sa.update(UserSession).where(UserSession.id == session_id)
                       .values(last_seen_at=utcnow()))


def end_session(token: str | None, reason: str = "signed out") -> None:
    if token:
        db.session.execute(sa.update(UserSession).where(
            UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason))


def end_sessions(user: User, reason: str, keep_token: str | None = None) -> int:
    """End every session of ``user`` (but the one of ``keep_token``). Returns how many."""
    stmt = sa.update(UserSession).where(UserSession.user_id == user.id,
                                        UserSession.revoked_at.is_(None))
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != _token_hash(keep_token))
    return db.session.execute(stmt.values(revoked_at=utcnow(), revoked_reason=reason)).rowcount


def prune_sessions(now: datetime | None = None) -> int:
    """Forget sessions ended or unused for SESSION_KEEP (the session list shows the
    recent ones). Returns how many were deleted."""
    now = now or utcnow()
    cutoff = now - current_app.config["SESSION_KEEP"]
    expired = now - current_app.config["REMEMBER_COOKIE_DURATION"] - \
        current_app.config["SESSION_KEEP"]
    return db.session.execute(sa.delete(UserSession).where(sa.or_(
        UserSession.revoked_at < cutoff, UserSession.last_seen_at < expired))).rowcount


def end_sessions_by_operator(user: User, operator: User) -> int:
    if not operator.is_operator:
        raise NotAllowed(_("Only operators end other people's sessions."))
    return end_sessions(user, f"ended by operator {operator.id}")


def update_profile(user: User, *, display_name: str, bio: str, location: str,
                   links: list[str]) -> None:
    user.display_name = display_name.strip()
    user.bio = bio.strip()
    user.location = location.strip()
    user.links = [link.strip() for link in links if link and link.strip()][:4]


def make_operator(email: str, password: str | None, display_name: str | None) -> tuple[User, bool]:
    """Promote an account to operator, creating it when a password is given."""
    email = normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    created = False
    if user is None:
        if not password:
            raise DomainError(_("No account has %(email)s; give a password to create one.",
                                email=email))
        user = register_user(email, password, display_name or email.split("@")[0])
        user.email_verified_at = utcnow()  # made by whoever runs the platform
        created = True
    user.is_operator = True
    return user, created


def set_verification(founder: User, operator: User, *, status: VerificationStatus,
                     legal_name: str, note: str) -> IdentityVerification:
    """An operator records the outcome of checking a founder's identity."""
    if not operator.is_operator:
        raise NotAllowed(_("Only operators verify founders."))
    record = identity.record_of(founder)
    if status is VerificationStatus.REJECTED and not note.strip():
        raise DomainError(_("Say why (the founder reads it)."), field="note")
    before = verification_states.apply(record, status, actor=operator,
                                       reason=note.strip() or None)
    record.legal_name = legal_name.strip()
    record.note = note.strip()
    record.method = "manual"
    record.checked_by = operator
    record.checked_at = utcnow()
    db.session.add(record)
    if status in identity.DECISIONS:
        identity.schedule_deletion(record, record.checked_at)
        if before is not status:  # the founder is told (the identity page promises it)
            db.session.flush()
            events.identity_decided.send(founder, verification=record)
    return record
