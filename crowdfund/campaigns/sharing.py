"""Sharing a campaign: its address with the sharer's referral tag (``?ref=``, recorded on
the pledges of the people who follow it: ``campaigns.web.remember_ref``), and plain share
addresses of common networks. Ordinary links only: no network's script, frame or image is
loaded, so nobody learns who read the page (docs/domain.md#sharing-a-campaign)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import current_app, url_for

from crowdfund.campaigns.models import Campaign
from crowdfund.i18n import _

#: The tag of a link shared by a visitor who is not signed in.
ANONYMOUS_TAG = "share"


def sharer_tag(user) -> str:
    """The referral tag of links ``user`` shares: stable for the person, and not their
    account number (a keyed hash of it), so the founder's chart counts one source per
    sharer without naming anybody. Matches ``campaigns.web.REF_PATTERN``."""
    if not getattr(user, "is_authenticated", False):
        return ANONYMOUS_TAG
    key = current_app.secret_key
    digest = hmac.new(key if isinstance(key, bytes) else key.encode(),
                      f"sharer-{user.id}".encode(), hashlib.sha256).hexdigest()
    return f"s-{digest[:12]}"


@dataclass(frozen=True)
class ShareLink:
    """One network's share address (``key`` names it in the page and the tests)."""

    key: str
    label: str
    href: str


def _query(**values: str) -> str:
    return urlencode(values, quote_via=quote)


def share_url(campaign: Campaign, user) -> str:
    """The campaign's address with ``user``'s referral tag."""
    return url_for("campaigns.show", slug=campaign.slug, ref=sharer_tag(user), _external=True)


def share_links(campaign: Campaign, url: str) -> list[ShareLink]:
    """Plain share addresses for ``url`` (already tagged), each network's documented form."""
    text = campaign.title
    return [
        ShareLink("x", "X (Twitter)", "https://x.com/intent/tweet?" + _query(url=url, text=text)),
        ShareLink("facebook", "Facebook",
                  "https://www.facebook.com/sharer/sharer.php?" + _query(u=url)),
        ShareLink("linkedin", "LinkedIn",
                  "https://www.linkedin.com/sharing/share-offsite/?" + _query(url=url)),
        ShareLink("whatsapp", "WhatsApp", "https://wa.me/?" + _query(text=f"{text} {url}")),
        ShareLink("telegram", "Telegram",
                  "https://t.me/share/url?" + _query(url=url, text=text)),
        ShareLink("weibo", _("Weibo"),
                  "https://service.weibo.com/share/share.php?" + _query(url=url, title=text)),
        ShareLink("email", _("Email"), "mailto:?" + _query(subject=text, body=url)),
    ]
