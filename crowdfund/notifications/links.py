"""Links in emails: absolute URLs on PUBLIC_URL, and account links made only at sending.

A confirmation or reset message holds a marker (``[[account-link:<id>]]``) in its outbox
row, never a usable token: ``expand_links`` makes each marker into the signed link as the
message is sent (``outbox``) or shown (the operators' outbox, ``/dev/mail``). This module
imports neither the outbox nor what queues messages, so that the outbox can import it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app

from crowdfund.auth.models import AccountToken, TokenPurpose
from crowdfund.auth.tokens import secret_of
from crowdfund.extensions import db

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


def expand_links(text: str) -> str:
    """The markers of ``text`` as the links they stand for (a row gone: no link)."""
    def replace(match: re.Match) -> str:
        row = db.session.get(AccountToken, int(match.group(1)))
        if row is None:
            return "(this link is no longer valid)"
        return link(_ENDPOINTS[row.purpose], token=secret_of(row))
    return _MARKER.sub(replace, text)
