"""Pledge services used by campaigns: releasing every open pledge of a stopped campaign."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.states import pledge_states

#: Pledges that still hold a promise (and maybe a reward unit).
OPEN_STATUSES = (PledgeStatus.PENDING, PledgeStatus.ACTIVE)


def release_open_pledges(campaign: Campaign, *, actor=None, reason: str) -> int:
    """Release every pending or active pledge of ``campaign`` and free their reward units.

    Nothing is charged. Returns how many pledges were released.
    """
    pledges = db.session.scalars(
        sa.select(Pledge)
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(OPEN_STATUSES))
        .with_for_update()
    ).all()
    freed: dict[int, int] = {}
    for pledge in pledges:
        pledge_states.apply(pledge, PledgeStatus.RELEASED, actor=actor, reason=reason)
        if pledge.tier_id is not None:
            freed[pledge.tier_id] = freed.get(pledge.tier_id, 0) + 1
    for tier_id, count in freed.items():
        db.session.execute(
            sa.update(RewardTier)
            .where(RewardTier.id == tier_id)
            .values(claimed=sa.case((RewardTier.claimed > count, RewardTier.claimed - count),
                                    else_=0))
        )
    return len(pledges)
