"""Loading a campaign for a view: who may see it, the public one at a slug, the ``?ref=``
tag of the link a backer came from; the signed-in founder's own campaign and reward."""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
from flask import abort, request, session
from flask_login import current_user
from sqlalchemy.orm import lazyload

from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.extensions import db


def can_view(campaign: Campaign) -> bool:
    """Public once live; before that only its founder and operators see it."""
    if campaign.is_public:
        return True
    if not current_user.is_authenticated:
        return False
    if current_user.is_operator:
        return True
    return current_user.id == campaign.founder_id and not campaign.is_deleted


REF_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def remember_ref(campaign: Campaign) -> None:
    """``?ref=newsletter`` on a shared link: kept in the session for this campaign and
    recorded on the pledge (the founder's chart by source). Junk is ignored."""
    ref = request.args.get("ref", "")
    if REF_PATTERN.match(ref):
        refs = dict(session.get("refs", {}))
        refs[str(campaign.id)] = ref.lower()
        session["refs"] = dict(list(refs.items())[-20:])


def ref_for(campaign: Campaign) -> str | None:
    return session.get("refs", {}).get(str(campaign.id))


@functools.cache
def _campaign_by_slug() -> sa.Select:
    # Backers' actions seldom need the founder: not joined (loaded if used).
    return (sa.select(Campaign).where(Campaign.slug == sa.bindparam("slug"))
            .options(lazyload(Campaign.founder)))


def public_campaign(slug: str) -> Campaign:
    """The live (or ended) campaign at ``slug`` for backers' actions, or 404."""
    campaign = db.session.scalar(_campaign_by_slug(), {"slug": slug})
    if campaign is None or not campaign.is_public:
        abort(404)
    return campaign


def own_campaign(campaign_id: int) -> Campaign:
    """The signed-in founder's campaign, or 404 (other people's drafts, and deleted ones,
    do not exist)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.founder_id != current_user.id or campaign.is_deleted:
        abort(404)
    return campaign


def own_tier(campaign: Campaign, tier_id: int) -> RewardTier:
    tier = db.session.get(RewardTier, tier_id)
    if tier is None or tier.campaign_id != campaign.id:
        abort(404)
    return tier
