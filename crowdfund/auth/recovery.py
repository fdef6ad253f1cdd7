"""Addresses people own, and a way back in: registration that answers the same whether
or not the address has an account, confirming an address by an emailed link, changing
it, and choosing a new password by an emailed link.

What is emailed is decided here and told through events (``account_link_issued``,
``address_claimed``, ``password_changed``, ``email_changed``): the notifications feature
writes the messages. Every request that sends an email is counted per address and per
client (``AccountRequest``), every kind together (register, a new confirmation link,
forgot password, change of address: one hourly budget for an address, whoever asks and
for what); over the address's limit nothing more is sent and the answer does not change,
over the client's the answer is 429 (it says nothing about accounts).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from crowdfund import events
from crowdfund.auth import passwords, tokens
from crowdfund.auth.models import AccountRequest, TokenPurpose, User
from crowdfund.auth.services import (
    EmailTaken,
    InvalidCredentials,
    check_password_policy,
    end_sessions,
    normalise_email,
    register_user,
)
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock_key


class TooManyRequests(DomainError):
    status_code = 429


class EmailNotVerified(DomainError):
    """The account's address is not confirmed yet."""

    status_code = 403


def require_verified_email(user: User) -> None:
    """Pledging, investing, commenting and submitting a campaign need a confirmed address:
    the platform can then reach the person, and one person cannot make a crowd."""
    if not user.email_verified:
        raise EmailNotVerified(_(
            "Confirm your email address first: open the link we sent to %(email)s (or send a "
            "new one from the banner at the top of the page).", email=user.email))


# --- counting the requests that send email ---------------------------------------------


def _request(kind: str, email: str, ip: str) -> bool:
    """Record a request that would send an email to ``email``. False when the address had
    enough of them this hour, of any kind (send nothing, answer the same);
    ``TooManyRequests`` when the client did. ``kind`` is kept for the record only."""
    cfg = current_app.config
    # Counted one after the other per client and per address (a row lock would not do:
    # the rows counted may not exist yet). Released at commit.
    lock_key("account emails client", ip)
    lock_key("account emails address", email)
    since = utcnow() - timedelta(hours=1)
    from_client = db.session.scalar(sa.select(sa.func.count()).where(
        AccountRequest.ip == ip, AccountRequest.created_at >= since)) or 0
    if from_client >= cfg["ACCOUNT_EMAILS_PER_CLIENT"]:
        raise TooManyRequests(_("Too many requests from your network. Please try again in "
                                "an hour."))
    to_address = db.session.scalar(sa.select(sa.func.count()).where(
        AccountRequest.email == email, AccountRequest.created_at >= since)) or 0
    db.session.add(AccountRequest(kind=kind, email=email, ip=ip[:45]))
    db.session.execute(sa.delete(AccountRequest).where(
        AccountRequest.created_at < utcnow() - timedelta(days=1)))
    return to_address < cfg["ACCOUNT_EMAILS_PER_ADDRESS"]


# --- registering and confirming an address ----------------------------------------------


def register(raw_email: str, password: str, display_name: str, ip: str,
             locale: str | None = None, timezone: str | None = None) -> User | None:
    """A new account, unconfirmed, with a link sent to confirm it; or None when the
    address already has an account (its owner is told someone tried). The caller answers
    the same in both cases, and both take as long (one Argon2 computation). ``locale``:
    the language the person reads in (the view's reader's), saved on the new account: the
    confirmation and every later email are written in it; ``timezone`` likewise (the zone
    the browser reported, if any)."""
    email = normalise_email(raw_email)
    check_password_policy(password, email, display_name)
    may_send = _request("register", email, ip)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
        try:
            user = register_user(email, password, display_name, locale, timezone)
        except EmailTaken:  # registered a moment ago by another request
            user = None
        else:
            db.session.flush()
            if may_send:
                _send_confirmation(user, email)
            return user
    passwords.burn_time(password)
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    if may_send and owner is not None:
        events.address_claimed.send(owner, what="register")
    return None


def _send_confirmation(user: User, email: str) -> None:
    link = tokens.issue(user, TokenPurpose.VERIFY_EMAIL, email,
                        current_app.config["EMAIL_VERIFY_VALID_FOR"])
    events.account_link_issued.send(user, token=link)


def resend_confirmation(user: User, ip: str) -> bool:
    """Another link to confirm the address. False: enough were sent this hour."""
    if user.email_verified:
        raise DomainError(_("Your email address is already confirmed."))
    if not _request("confirm", user.email, ip):
        return False
    _send_confirmation(user, user.email)
    return True


def confirm_email(token: str) -> User:
    """Open a confirmation link: the address is confirmed (a new address replaces the old
    one, whose owner is told)."""
    link = tokens.use(token, TokenPurpose.VERIFY_EMAIL)
    user = link.user
    if link.email != user.email:
        taken = db.session.scalar(sa.select(User.id).where(User.email == link.email,
                                                           User.id != user.id))
        if taken is not None:
            raise DomainError(_("Another account uses this address now; keep your current "
                                "one or choose another."))
        old, user.email = user.email, link.email
        events.email_changed.send(user, old_email=old)
    user.email_verified_at = utcnow()
    return user


def request_email_change(user: User, raw_email: str, password: str, ip: str) -> str:
    """Send a link to the new address; it replaces the old one once opened. The answer is
    the same whether or not the new address has an account (that account's owner is told
    instead). Returns the normalised new address."""
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidCredentials(_("Your password is incorrect."), field="password")
    email = normalise_email(raw_email)
    if email == user.email:
        raise DomainError(_("That is already your address."), field="email")
    if not _request("change email", email, ip):
        return email
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    if owner is None:
        _send_confirmation(user, email)
    else:
        events.address_claimed.send(owner, what="change email")
    return email


# --- a new password by email --------------------------------------------------------------


def request_password_reset(raw_email: str, ip: str) -> None:
    """Email a link to choose a new password, if an account has this address (the answer
    is the same either way; nothing is sent beyond the hourly limit)."""
    email = normalise_email(raw_email)
    may_send = _request("reset password", email, ip)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None or not may_send:
        return
    link = tokens.issue(user, TokenPurpose.RESET_PASSWORD, email,
                        current_app.config["PASSWORD_RESET_VALID_FOR"])
    events.account_link_issued.send(user, token=link)


def reset_password(token: str, new_password: str) -> tuple[User, int]:
    """Choose a new password with a reset link: the link is spent, every session of the
    account ends (a thief's too), the owner is told. Returns the user and how many
    sessions ended. A password the policy refuses leaves the link usable."""
    link = tokens.find(token, TokenPurpose.RESET_PASSWORD)
    user = link.user
    if link.email != user.email:
        raise tokens.LinkInvalid()
    check_password_policy(new_password, user.email, user.display_name)
    tokens.use(token, TokenPurpose.RESET_PASSWORD)
    tokens.void(user, TokenPurpose.RESET_PASSWORD)
    user.password_hash = passwords.hash_password(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()  # the link proved it
    ended = end_sessions(user, "password reset")
    events.password_changed.send(user, how="reset")
    return user, ended
