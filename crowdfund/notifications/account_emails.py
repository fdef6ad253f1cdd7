"""Account emails: confirm an address, choose a new password, someone asked for an
account at your address, your password or address changed, an operator decided on your
identity check. Transactional: always sent.

The link of a confirmation or reset message is a marker in the outbox row, made into the
signed link only as the message is sent (``links.expand_links``): the outbox never holds a
usable token.
"""

from __future__ import annotations

from crowdfund.auth.models import (
    AccountToken,
    IdentityVerification,
    TokenPurpose,
    User,
    VerificationStatus,
)
from crowdfund.db import utcnow
from crowdfund.filters import date_filter, datetime_filter
from crowdfund.notifications.emails import hello, link, send
from crowdfund.notifications.links import account_link_marker
from crowdfund.notifications.outbox import Email, queue


def account_link(user: User, token: AccountToken) -> bool:
    marker = account_link_marker(token)
    until = datetime_filter(token.expires_at)
    if token.purpose is TokenPurpose.RESET_PASSWORD:
        email = Email(
            subject="Choose a new password",
            greeting=hello(user),
            paragraphs=["Someone (we hope you) asked to choose a new password for your "
                        "crowdfund account. The link below works once, until "
                        f"{until}.",
                        "Choosing a new password signs you out everywhere. If you did not ask "
                        "for this, ignore this message: your password stays as it is."],
            action=("Choose a new password", marker))
    else:
        new = token.email != user.email
        email = Email(
            subject="Confirm your new email address" if new else "Confirm your email address",
            greeting=hello(user),
            paragraphs=[("Open the link below to make this your account's address."
                         if new else "Welcome to crowdfund! Open the link below to confirm "
                         "this is your address: then you can back campaigns, invest, comment "
                         "and start your own."),
                        f"The link works once, until {until}. If you did not ask for this, "
                        "ignore this message."],
            action=("Confirm my email address", marker))
    return queue(f"account_{token.purpose.value}", f"account-link-{token.id}", token.email,
                 user.display_name, email, recipient_id=user.id)


def address_claimed(user: User, what: str) -> bool:
    """Someone asked for an account (or to move theirs) at ``user``'s address."""
    tried = "register a new account" if what == "register" else "move their account"
    return send("address_claimed", f"address-claimed-{user.id}-{utcnow().isoformat()}", user,
                Email(subject="Someone tried to use your email address",
                      greeting=hello(user),
                      paragraphs=[f"Someone tried to {tried} with this address, which is "
                                  "already yours on crowdfund. Nothing was changed.",
                                  "If it was you, sign in instead; if you forgot your "
                                  "password, choose a new one with the link below. If it "
                                  "was not you, you can ignore this message."],
                      action=("Choose a new password", link("auth.forgot_password"))))


def password_changed(user: User, how: str) -> bool:
    way = "with a reset link" if how == "reset" else "from your account settings"
    return send("password_changed", f"password-changed-{user.id}-{utcnow().isoformat()}", user,
                Email(subject="Your password was changed",
                      greeting=hello(user),
                      paragraphs=[f"The password of your crowdfund account was changed {way} "
                                  f"on {datetime_filter(utcnow())}; every other signed-in "
                                  "browser was signed out.",
                                  "If this was not you, choose a new password now with the "
                                  "link below and tell us by replying to this message."],
                      action=("Choose a new password", link("auth.forgot_password"))))


def email_changed(user: User, old_email: str) -> bool:
    """Told to the old address: it is no longer the account's."""
    return queue("email_changed", f"email-changed-{user.id}-{utcnow().isoformat()}", old_email,
                 user.display_name,
                 Email(subject="Your email address was changed",
                       greeting=hello(user),
                       paragraphs=["Your crowdfund account now uses another email address "
                                   f"(confirmed on {datetime_filter(utcnow())}); messages go "
                                   "there from now on.",
                                   "If this was not you, reply to this message at once: we "
                                   "will lock the account and help you get it back."]),
                 recipient_id=user.id)


def identity_decided(user: User, record: IdentityVerification) -> bool:
    """The operator's decision on the founder's identity check: verified, or refused with
    the operator's reason (the identity page promises this message)."""
    key = f"identity-{record.id}-decision-{len(record.transitions)}"
    deleted = (f" The photo of your document is deleted on "
               f"{date_filter(record.document_delete_after)}."
               if record.document_key and record.document_delete_after else "")
    if record.status is VerificationStatus.VERIFIED:
        email = Email(
            subject="Your identity is verified",
            greeting=hello(user),
            paragraphs=["One of our operators checked the documents you sent: your identity "
                        f"is verified (on {date_filter(record.checked_at)}). Your campaign "
                        "pages say so, and you can submit an equity offering and receive "
                        f"payouts.{deleted}"],
            action=("See your identity page", link("auth.identity_page")))
    else:
        email = Email(
            subject="Your identity check: documents not accepted",
            greeting=hello(user),
            paragraphs=["One of our operators looked at the documents you sent and could not "
                        "verify your identity. Their reason:",
                        record.note or "(no reason given)",
                        f"Send them again with the changes asked for.{deleted}"],
            action=("Send your documents again", link("auth.identity_page")))
    return send("identity_decided", key, user, email)
