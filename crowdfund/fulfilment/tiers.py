"""Where a reward tier stands for fulfilment, and the row lock every change of its
surveys takes turns on (docs/operations.md#row-locks): a backer's correction, a new
question, and the founder's "shipping" that locks them. Services never commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from crowdfund.campaigns.models import RewardTier
from crowdfund.db import dialect_insert
from crowdfund.extensions import db
from crowdfund.fulfilment.models import FulfilmentTier
from crowdfund.i18n import _l
from crowdfund.locking import lock

#: Why a survey no longer changes.
LOCKED = _l("This reward is shipping: its addresses and answers no longer change.")


def ensure_row(tier: RewardTier) -> None:
    """The tier's row exists (made once, whoever comes first)."""
    db.session.execute(dialect_insert(db.session, FulfilmentTier).values(
        tier_id=tier.id, campaign_id=tier.campaign_id).on_conflict_do_nothing(
        index_elements=["tier_id"]))


def locked_row(tier: RewardTier) -> FulfilmentTier:
    """The tier's row, locked until the transaction ends and read again under the lock:
    what is checked next (shipping yet?) holds until the commit."""
    ensure_row(tier)
    row = db.session.get(FulfilmentTier, tier.id)
    lock(row)
    return row


def states_of(tier_ids: Iterable[int]) -> dict[int, FulfilmentTier]:
    """The rows of these tiers that exist (a tier without one is open, not delivered)."""
    ids = list(tier_ids)
    if not ids:
        return {}
    return {row.tier_id: row for row in db.session.scalars(
        sa.select(FulfilmentTier).where(FulfilmentTier.tier_id.in_(ids)))}


def locked_at(tier_id: int) -> datetime | None:
    return db.session.scalar(sa.select(FulfilmentTier.locked_at).where(
        FulfilmentTier.tier_id == tier_id))


def not_locked(tier_column) -> sa.ColumnElement[bool]:
    """SQL: the tier in ``tier_column`` is not shipping yet."""
    return ~sa.exists().where(FulfilmentTier.tier_id == tier_column,
                              FulfilmentTier.locked_at.is_not(None))


def mark_shipping(tier: RewardTier, when: datetime) -> None:
    """The founder reported the tier shipping (or delivered): its surveys lock, once."""
    ensure_row(tier)
    db.session.execute(sa.update(FulfilmentTier).where(
        FulfilmentTier.tier_id == tier.id, FulfilmentTier.locked_at.is_(None))
        .values(locked_at=when))


def mark_delivered(tier: RewardTier, when: datetime) -> bool:
    """The founder reported the tier delivered; False when it was already."""
    mark_shipping(tier, when)
    return db.session.execute(sa.update(FulfilmentTier).where(
        FulfilmentTier.tier_id == tier.id, FulfilmentTier.delivered_at.is_(None))
        .values(delivered_at=when)).rowcount == 1
