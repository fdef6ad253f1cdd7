"""Reward units: claimed one at a time by a conditional UPDATE (never oversold), given
back in bulk."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from crowdfund.campaigns.models import RewardTier
from crowdfund.extensions import db


def claim_unit(tier_id: int) -> bool:
    """Take one unit of a tier if one is left; one conditional UPDATE, never oversold."""
    # On the session's connection: a Core UPDATE, without the ORM's bulk-update machinery
    # (nothing pending in the session bears on a tier's count).
    result = db.session.connection().execute(_claim(), {"tier": tier_id})
    _forget_claimed(tier_id)
    return result.rowcount == 1


@functools.cache
def _claim() -> sa.Update:
    return (sa.update(RewardTier)
            .where(RewardTier.id == sa.bindparam("tier"),
                   sa.or_(RewardTier.quantity_limit.is_(None),
                          RewardTier.claimed < RewardTier.quantity_limit))
            .values(claimed=RewardTier.claimed + 1))


def release_units(tier_id: int, count: int = 1) -> None:
    """Give back ``count`` units (never below zero)."""
    db.session.execute(
        sa.update(RewardTier)
        .where(RewardTier.id == tier_id)
        .values(claimed=sa.case((RewardTier.claimed > count, RewardTier.claimed - count),
                                else_=0))
        .execution_options(synchronize_session=False)
    )
    _forget_claimed(tier_id)


def _forget_claimed(tier_id: int) -> None:
    """The database changed ``claimed``: reload it the next time it is read."""
    tier = db.session.identity_map.get(db.session.identity_key(RewardTier, tier_id))
    if tier is not None:
        db.session.expire(tier, ["claimed"])
