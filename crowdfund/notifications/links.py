"""Links in emails: absolute URLs on PUBLIC_URL, and account links made only at sending.

A confirmation or reset message holds a marker (``[[account-link:<id>]]``) in its outbox
row, never a usable token: ``expand_links`` makes each marker into the signed link as the
message is sent (``outbox``) or shown (the operators' outbox, ``/dev/mail``); a marker
whose row is gone says so in the recipient's language. This module imports neither the
outbox nor what queues messages, so that the outbox can import it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app

from crowdfund.auth.models import AccountToken, TokenPurpose, User
from crowdfund.auth.tokens import secret_of
from crowdfund.extensions import db
from crowdfund.i18n import _, in_language_of

_MARKER = re.compile(r"\[\[account-link:(\d{1,18})\]\]")
_ENDPOINTS = {TokenPurpose.VERIFY_EMAIL: "auth.confirm_email",
              TokenPurpose.RESET_PASSWORD: "auth.reset_password"}


def link(endpoint: str, **values) -> str:
    """An absolute URL on PUBLIC_URL, with or without a request."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/",
                                       url_scheme=public.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def account_link_marker(token: AccountToken) -> str:
    """What an outbox row holds in place of ``token``'s link."""
    return f"[[account-link:{token.id}]]"


def expand_links(text: str, recipient_id: int | None = None) -> str:
    """The markers of ``text`` as the links they stand for (a row gone: no link, said in
    the language of the person ``recipient_id``, else of the reader)."""
    def replace(match: re.Match) -> str:
        row = db.session.get(AccountToken, int(match.group(1)))
        if row is None:
            return _no_longer_valid(recipient_id)
        return link(_ENDPOINTS[row.purpose], token=secret_of(row))
    return _MARKER.sub(replace, text)


def _no_longer_valid(recipient_id: int | None) -> str:
    person = db.session.get(User, recipient_id) if recipient_id is not None else None
    if person is None:
        return _("(this link is no longer valid)")
    with in_language_of(person.locale, person.timezone):
        return _("(this link is no longer valid)")
