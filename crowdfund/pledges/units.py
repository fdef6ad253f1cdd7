"""Reward units: claimed one at a time by a conditional UPDATE (never oversold), given
back in bulk; add-on units the same way, several at once."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import sqlalchemy as sa

from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import RewardTier
from crowdfund.extensions import db
from crowdfund.pledges.models import PledgeAddOn


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


# --- add-ons: the same guarantee, several units at a time --------------------------------


def claim_add_on_units(add_on_id: int, count: int) -> bool:
    """Take ``count`` units of an add-on if that many are left, all or none; one
    conditional UPDATE, never oversold."""
    result = db.session.connection().execute(_claim_add_on(), {"add_on": add_on_id,
                                                                "count": count})
    _forget_add_on_claimed(add_on_id)
    return result.rowcount == 1


@functools.cache
def _claim_add_on() -> sa.Update:
    count = sa.bindparam("count", type_=sa.Integer)
    return (sa.update(AddOn)
            .where(AddOn.id == sa.bindparam("add_on"),
                   sa.or_(AddOn.quantity_limit.is_(None),
                          AddOn.claimed + count <= AddOn.quantity_limit))
            .values(claimed=AddOn.claimed + count))


def release_add_on_units(add_on_id: int, count: int) -> None:
    """Give back ``count`` units of an add-on (never below zero)."""
    db.session.execute(
        sa.update(AddOn)
        .where(AddOn.id == add_on_id)
        .values(claimed=sa.case((AddOn.claimed > count, AddOn.claimed - count), else_=0))
        .execution_options(synchronize_session=False)
    )
    _forget_add_on_claimed(add_on_id)


def release_add_ons_of(pledge_ids: Iterable[int]) -> None:
    """Give back every add-on unit the pledges ``pledge_ids`` hold (they just ended:
    cancelled, released, dropped), one UPDATE per add-on, in the add-ons' id order."""
    ids = list(pledge_ids)
    if not ids:
        return
    held = db.session.execute(
        sa.select(PledgeAddOn.add_on_id, sa.func.sum(PledgeAddOn.quantity))
        .where(PledgeAddOn.pledge_id.in_(ids))
        .group_by(PledgeAddOn.add_on_id).order_by(PledgeAddOn.add_on_id)).all()
    for add_on_id, count in held:
        release_add_on_units(add_on_id, int(count))


def _forget_add_on_claimed(add_on_id: int) -> None:
    add_on = db.session.identity_map.get(db.session.identity_key(AddOn, add_on_id))
    if add_on is not None:
        db.session.expire(add_on, ["claimed"])
