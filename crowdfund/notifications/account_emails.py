"""Account emails: confirm an address, choose a new password, someone asked for an
account at your address, your password or address changed, an operator decided on your
identity check. Transactional: always sent.

Each is written in its recipient's language and time zone (the account's ``locale`` and
``timezone``, ``crowdfund.i18n.in_language_of``): whoever's request or job sends it, a
person asking for a new password on someone else's address included. A new account has
the language it was registered in.

The link of a confirmation or reset message is a marker in the outbox row, made into the
signed link only as the message is sent (``links.expand_links``): the outbox never holds a
usable token.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from crowdfund.auth.models import (
    AccountToken,
    IdentityVerification,
    TokenPurpose,
    User,
    VerificationStatus,
)
from crowdfund.db import utcnow
from crowdfund.filters import date_filter, datetime_filter
from crowdfund.i18n import _, in_language_of
from crowdfund.notifications.emails import hello, link, send
from crowdfund.notifications.links import account_link_marker
from crowdfund.notifications.outbox import Email, queue


def _written_for(user: User) -> AbstractContextManager[None]:
    """Texts, dates and the queued message itself in ``user``'s language and zone."""
    return in_language_of(user.locale, user.timezone)


def account_link(user: User, token: AccountToken) -> bool:
    with _written_for(user):
        return queue(f"account_{token.purpose.value}", f"account-link-{token.id}",
                     token.email, user.display_name, _link_email(user, token),
                     recipient_id=user.id)


def _link_email(user: User, token: AccountToken) -> Email:
    marker = account_link_marker(token)
    until = datetime_filter(token.expires_at)
    if token.purpose is TokenPurpose.RESET_PASSWORD:
        return Email(
            subject=_("Choose a new password"),
            greeting=hello(user),
            paragraphs=[_("Someone (we hope you) asked to choose a new password for your "
                          "crowdfund account. The link below works once, until %(until)s.",
                          until=until),
                        _("Choosing a new password signs you out everywhere. If you did not "
                          "ask for this, ignore this message: your password stays as it is.")],
            action=(_("Choose a new password"), marker))
    if token.email != user.email:
        subject = _("Confirm your new email address")
        opening = _("Open the link below to make this your account's address.")
    else:
        subject = _("Confirm your email address")
        opening = _("Welcome to crowdfund! Open the link below to confirm this is your "
                    "address: then you can back campaigns, invest, comment and start your own.")
    return Email(
        subject=subject,
        greeting=hello(user),
        paragraphs=[opening,
                    _("The link works once, until %(until)s. If you did not ask for this, "
                      "ignore this message.", until=until)],
        action=(_("Confirm my email address"), marker))


def address_claimed(user: User, what: str) -> bool:
    """Someone asked for an account (or to move theirs) at ``user``'s address: told in the
    owner's language, not the asker's."""
    with _written_for(user):
        tried = (_("Someone tried to register a new account with this address, which is "
                   "already yours on crowdfund. Nothing was changed.") if what == "register"
                 else _("Someone tried to move their account with this address, which is "
                        "already yours on crowdfund. Nothing was changed."))
        return send("address_claimed", f"address-claimed-{user.id}-{utcnow().isoformat()}",
                    user, Email(
                        subject=_("Someone tried to use your email address"),
                        greeting=hello(user),
                        paragraphs=[tried,
                                    _("If it was you, sign in instead; if you forgot your "
                                      "password, choose a new one with the link below. If it "
                                      "was not you, you can ignore this message.")],
                        action=(_("Choose a new password"), link("auth.forgot_password"))))


def password_changed(user: User, how: str) -> bool:
    with _written_for(user):
        when = datetime_filter(utcnow())
        changed = (_("The password of your crowdfund account was changed with a reset link "
                     "on %(when)s; every other signed-in browser was signed out.", when=when)
                   if how == "reset" else
                   _("The password of your crowdfund account was changed from your account "
                     "settings on %(when)s; every other signed-in browser was signed out.",
                     when=when))
        return send("password_changed", f"password-changed-{user.id}-{utcnow().isoformat()}",
                    user, Email(
                        subject=_("Your password was changed"),
                        greeting=hello(user),
                        paragraphs=[changed,
                                    _("If this was not you, choose a new password now with "
                                      "the link below and tell us by replying to this "
                                      "message.")],
                        action=(_("Choose a new password"), link("auth.forgot_password"))))


def email_changed(user: User, old_email: str) -> bool:
    """Told to the old address: it is no longer the account's."""
    with _written_for(user):
        return queue(
            "email_changed", f"email-changed-{user.id}-{utcnow().isoformat()}", old_email,
            user.display_name,
            Email(subject=_("Your email address was changed"),
                  greeting=hello(user),
                  paragraphs=[_("Your crowdfund account now uses another email address "
                                "(confirmed on %(when)s); messages go there from now on.",
                                when=datetime_filter(utcnow())),
                              _("If this was not you, reply to this message at once: we will "
                                "lock the account and help you get it back.")]),
            recipient_id=user.id)


def identity_decided(user: User, record: IdentityVerification) -> bool:
    """The operator's decision on the founder's identity check: verified, or refused with
    the operator's reason (the identity page promises this message)."""
    key = f"identity-{record.id}-decision-{len(record.transitions)}"
    with _written_for(user):
        email = (_verified_email(user, record) if record.status is VerificationStatus.VERIFIED
                 else _refused_email(user, record))
        return send("identity_decided", key, user, email)


def _deleted_on(record: IdentityVerification) -> str | None:
    """The day the photo of the document is deleted, when one is kept until then."""
    if record.document_key and record.document_delete_after:
        return date_filter(record.document_delete_after)
    return None


def _verified_email(user: User, record: IdentityVerification) -> Email:
    day, deleted = date_filter(record.checked_at), _deleted_on(record)
    text = (_("One of our operators checked the documents you sent: your identity is "
              "verified (on %(day)s). Your campaign pages say so, and you can submit an "
              "equity offering and receive payouts. The photo of your document is deleted "
              "on %(deleted)s.", day=day, deleted=deleted) if deleted else
            _("One of our operators checked the documents you sent: your identity is "
              "verified (on %(day)s). Your campaign pages say so, and you can submit an "
              "equity offering and receive payouts.", day=day))
    return Email(subject=_("Your identity is verified"), greeting=hello(user),
                 paragraphs=[text],
                 action=(_("See your identity page"), link("auth.identity_page")))


def _refused_email(user: User, record: IdentityVerification) -> Email:
    deleted = _deleted_on(record)
    again = (_("Send them again with the changes asked for. The photo of your document is "
               "deleted on %(deleted)s.", deleted=deleted) if deleted else
             _("Send them again with the changes asked for."))
    return Email(
        subject=_("Your identity check: documents not accepted"),
        greeting=hello(user),
        paragraphs=[_("One of our operators looked at the documents you sent and could not "
                      "verify your identity. Their reason:"),
                    record.note or _("(no reason given)"), again],
        action=(_("Send your documents again"), link("auth.identity_page")))
