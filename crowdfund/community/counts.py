"""How many comments, threads and followers a campaign has, kept as they change, so that
the campaign page reads one row instead of counting them (docs/performance.md#maintained-totals).

One ``campaign_counts`` row per campaign: its comments (not those on an update), the
threads they start, how many their authors deleted, and its followers. Comments move the
row from the session's ``after_flush`` (a comment added, its status changed); follows
from the two places that add or remove them (``following``, ``privacy``), which report
how many they changed. Each change is ``INSERT ... ON CONFLICT DO UPDATE SET n = n + d``:
atomic on both databases. The test suite checks after every test that the row equals
what the tables count (``mismatches``).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from crowdfund.community.models import Comment, CommentStatus, Follow
from crowdfund.db import add_sums, dialect_insert, flushed_rows
from crowdfund.extensions import db

#: What a row counts, in the order of ``_comment_part``.
COUNTS = ("comments", "threads", "deleted_comments", "followers")


class CampaignCounts(db.Model):
    """A campaign's comments, threads, comments deleted by their authors, followers."""

    __tablename__ = "campaign_counts"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    comments: Mapped[int] = mapped_column(default=0)
    threads: Mapped[int] = mapped_column(default=0)
    deleted_comments: Mapped[int] = mapped_column(default=0)
    followers: Mapped[int] = mapped_column(default=0)


def _comment_part(campaign_id, update_id, parent_id, status) -> tuple | None:
    if campaign_id is None or update_id is not None:
        return None  # comments on an update are counted on the update's page
    return campaign_id, (1, int(parent_id is None), int(status is CommentStatus.DELETED), 0)


def _after_flush(session: Session, _context) -> None:
    changes: dict[int, list[int]] = {}
    names = ("campaign_id", "update_id", "parent_id", "status")
    for before, after in flushed_rows(session, Comment, names):
        for values, sign in ((before, -1), (after, 1)):
            if values is not None and (part := _comment_part(*values)) is not None:
                add_sums(changes, *part, sign)
    for campaign_id, change in sorted(changes.items()):
        _move(session, campaign_id, change)


sa.event.listen(Session, "after_flush", _after_flush)


def followers_moved(campaign_id: int, change: int) -> None:
    """``change`` followers more (or fewer) for the campaign: said by who added or
    removed the follows, in their transaction."""
    if change:
        _move(db.session, campaign_id, [0, 0, 0, change])


def _move(session: Session, campaign_id: int, change: list[int]) -> None:
    if not any(change):
        return
    table = CampaignCounts.__table__
    insert = dialect_insert(session, table).values(
        campaign_id=campaign_id, **dict(zip(COUNTS, change, strict=True)))
    session.connection().execute(insert.on_conflict_do_update(
        index_elements=["campaign_id"],
        set_={name: table.c[name] + insert.excluded[name] for name in COUNTS}))


def counts_of(campaign_id: int) -> dict[str, int]:
    """The campaign's kept counts (all 0 before its first comment or follower)."""
    row = db.session.execute(sa.select(*(CampaignCounts.__table__.c[n] for n in COUNTS))
        .where(CampaignCounts.campaign_id == campaign_id)).one_or_none()
    return dict(zip(COUNTS, (int(v) for v in row) if row else (0, 0, 0, 0), strict=True))


def count_columns(campaign_id) -> tuple:
    """The counts as scalar subqueries, to select with other things (``campaign_id``: an
    id or a bound parameter); 0 for a campaign without a row yet."""
    return tuple(sa.func.coalesce(
        sa.select(CampaignCounts.__table__.c[name])
        .where(CampaignCounts.campaign_id == campaign_id).scalar_subquery(), 0)
        for name in COUNTS)


def mismatches(campaign_ids: Iterable[int] | None = None) -> list[tuple]:
    """``(campaign, kept, counted)`` wherever the kept counts differ from the tables."""
    on_campaign = Comment.update_id.is_(None)
    counted: dict[int, list[int]] = {}
    for cid, comments, threads, deleted in db.session.execute(
            sa.select(Comment.campaign_id, sa.func.count(),
                      sa.func.count().filter(Comment.parent_id.is_(None)),
                      sa.func.count().filter(Comment.status == CommentStatus.DELETED))
            .where(on_campaign).group_by(Comment.campaign_id)):
        counted[cid] = [comments, threads, deleted, 0]
    for cid, followers in db.session.execute(
            sa.select(Follow.campaign_id, sa.func.count())
            .where(Follow.campaign_id.is_not(None)).group_by(Follow.campaign_id)):
        counted.setdefault(cid, [0, 0, 0, 0])[3] = followers
    kept = {cid: [int(v) for v in rest] for cid, *rest in db.session.execute(
        sa.select(CampaignCounts.campaign_id,
                  *(CampaignCounts.__table__.c[n] for n in COUNTS)))}
    ids = set(counted) | set(kept) if campaign_ids is None else set(campaign_ids)
    zero = [0, 0, 0, 0]
    return [(cid, kept.get(cid, zero), counted.get(cid, zero)) for cid in sorted(ids)
            if kept.get(cid, zero) != counted.get(cid, zero)]


def rebuild() -> None:
    """Write every campaign's counts again from the tables (bulk loads, benchmarks)."""
    db.session.execute(sa.delete(CampaignCounts))
    for cid, _kept, counted in mismatches():
        db.session.add(CampaignCounts(campaign_id=cid, **dict(zip(COUNTS, counted,
                                                                  strict=True))))
    db.session.flush()
