"""Lists of pledges: a backer's, a campaign's backers (a page at a time, or all of them in
keyset batches for the CSV)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus

P = PledgeStatus


def pledges_of(backer: User) -> list[Pledge]:
    return list(db.session.scalars(
        sa.select(Pledge).where(Pledge.backer_id == backer.id)
        .order_by(Pledge.created_at.desc())))


def backers_query(campaign: Campaign) -> sa.Select:
    """Every pledge of a campaign that is or was more than an abandoned attempt, oldest
    first, with its backer and reward loaded in the same query (no query per row)."""
    return (sa.select(Pledge)
            .where(Pledge.campaign_id == campaign.id, Pledge.status != P.PENDING)
            .options(joinedload(Pledge.backer).lazyload(User.verification),
                     joinedload(Pledge.tier))
            .order_by(Pledge.created_at, Pledge.id))


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
