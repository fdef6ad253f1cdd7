"""Campaign queries that need nothing above campaigns: a tier as chosen, the public
campaigns of a founder. (Totals are ``pledges.totals``; discovery is ``main.queries``;
a funded campaign's outcome is ``settlement.outcome``.)"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import PUBLIC_STATUSES, CampaignStatus
from crowdfund.extensions import db


def tier_of(campaign: Campaign, tier_id) -> RewardTier | None:
    """The campaign's tier ``tier_id`` (as typed: junk gives None) with its shipping rates,
    in one query."""
    try:
        wanted = int(tier_id)
    except (TypeError, ValueError):
        return None
    if not 0 < wanted < 2**31:
        return None
    return db.session.scalars(_tier_with_rates(), {"tier": wanted, "campaign": campaign.id}
                              ).unique().one_or_none()


@functools.cache
def _tier_with_rates() -> sa.Select:
    return (sa.select(RewardTier)
            .where(RewardTier.id == sa.bindparam("tier"),
                   RewardTier.campaign_id == sa.bindparam("campaign"))
            .options(joinedload(RewardTier.shipping_rates)))


#: What a campaign card shows besides the campaign: its founder's verified badge (one
#: query for a whole list).
CARD_LOADS = (joinedload(Campaign.founder).selectinload(User.verification),)


def public_campaigns_of(person: User) -> list[Campaign]:
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.founder_id == person.id, Campaign.status.in_(PUBLIC_STATUSES))
            .order_by(Campaign.launched_at.desc()).options(*CARD_LOADS)
        )
    )




def founded_by(person: User) -> list[Campaign]:
    """Every campaign ``person`` started that is not deleted, the latest changed first (the
    studio's list, and the API's)."""
    return list(db.session.scalars(
        sa.select(Campaign).where(Campaign.founder_id == person.id,
                                  Campaign.status != CampaignStatus.DELETED)
        .order_by(Campaign.updated_at.desc(), Campaign.id.desc())))
