"""Lists of pledges: a backer's, a campaign's backers (a page at a time, or all of them in
keyset batches for the CSV)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.pledges.models import COUNTED_STATUSES, Pledge, PledgeStatus

P = PledgeStatus


def abandoned() -> sa.ColumnElement[bool]:
    """An attempt that never became a pledge: its card was never confirmed, and it ended
    (the backer started again, or it expired, or the campaign stopped). Not a backer, and
    not something the backer cancelled."""
    return sa.and_(Pledge.status.in_((P.CANCELLED, P.RELEASED)),
                   Pledge.payment_method_id.is_(None))


def pledges_of(backer: User) -> list[Pledge]:
    """A backer's pledges, newest first; abandoned attempts left out."""
    return list(db.session.scalars(
        sa.select(Pledge).where(Pledge.backer_id == backer.id, ~abandoned())
        .order_by(Pledge.created_at.desc())))


def backers_query(campaign: Campaign) -> sa.Select:
    """Every pledge of a campaign that is or was more than an attempt (pending ones and
    abandoned ones left out), oldest first, with its backer and reward loaded in the same
    query, their add-ons in one more (no query per row)."""
    return (sa.select(Pledge)
            .where(Pledge.campaign_id == campaign.id, Pledge.status != P.PENDING,
                   ~abandoned())
            .options(joinedload(Pledge.backer).lazyload(User.verification),
                     joinedload(Pledge.tier), selectinload(Pledge.add_ons))
            .order_by(Pledge.created_at, Pledge.id))


def not_counted_in_list(campaign: Campaign) -> int:
    """How many of ``backers_query``'s pledges the totals do not count (cancelled by the
    backer, released with a stopped or failed campaign): the list says so beside its
    count."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Pledge)
        .where(Pledge.campaign_id == campaign.id, Pledge.status != P.PENDING, ~abandoned(),
               Pledge.status.not_in(COUNTED_STATUSES))) or 0


def iter_backers(campaign: Campaign, batch: int = 1000):
    """``backers_query`` in keyset batches of ``batch`` rows: constant memory for an export
    of any size."""
    after = None
    while True:
        stmt = backers_query(campaign).limit(batch)
        if after is not None:
            stmt = stmt.where(sa.tuple_(Pledge.created_at, Pledge.id) > after)
        rows = db.session.scalars(stmt).unique().all()
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].created_at, rows[-1].id)  # rows not kept are freed (weak map)
