"""A campaign's address (its slug, /campaigns/<slug>): made from the title, unique, checked
when the founder types one."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"new", "edit", "studio", "search", "discover", "operators"})


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or "campaign"


def _slug_taken(slug: str, exclude_id: int | None) -> bool:
    stmt = sa.select(Campaign.id).where(Campaign.slug == slug)
    if exclude_id is not None:
        stmt = stmt.where(Campaign.id != exclude_id)
    return db.session.scalar(stmt) is not None


def unique_slug(base: str, exclude_id: int | None = None) -> str:
    base = slugify(base)
    if base in RESERVED_SLUGS:
        base = f"{base}-campaign"
    slug, n = base, 2
    while _slug_taken(slug, exclude_id):
        slug = f"{base}-{n}"
        n += 1
    return slug


def check_slug(slug: str, campaign: Campaign) -> None:
    if not _SLUG_RE.fullmatch(slug) or len(slug) > 80:
        raise DomainError(_("Use lower-case letters, digits and single hyphens."), field="slug")
    if slug in RESERVED_SLUGS:
        raise DomainError(_("That address is reserved; choose another."), field="slug")
    if _slug_taken(slug, campaign.id):
        raise DomainError(_("Another campaign already uses this address."), field="slug")
