"""A person's comments, reports and follows in their archive; on closing, their comments
are emptied in place (the threads others replied in stay readable), the reasons of their
reports too, their follows go."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.community.counts import followers_moved
from crowdfund.community.models import CampaignReport, Comment, CommentReport, Follow
from crowdfund.extensions import db
from crowdfund.i18n import _l

#: What a closed account's comments say from then on (kept in the database, in English)...
REMOVED = "[Removed: its author closed their account.]"
#: ... and what pages show for it, in the reader's language (``CommentView.is_erased``).
REMOVED_SHOWN = _l("[Removed: its author closed their account.]")


def register() -> None:
    privacy.exports("comments")(comments)
    privacy.exports("follows")(follows)
    privacy.exports("reports")(reports)
    privacy.erases("community")(erase)


def comments(user: User) -> list[dict]:
    return [{"campaign": c.campaign.title, **{k: privacy.plain(getattr(c, k)) for k in (
        "id", "kind", "parent_id", "body", "status", "created_at")}}
        for c in db.session.scalars(sa.select(Comment).where(Comment.author_id == user.id)
                                    .order_by(Comment.id))]


def follows(user: User) -> list[dict]:
    return privacy.rows(sa.select(Follow).where(Follow.user_id == user.id).order_by(Follow.id),
                        "campaign_id", "founder_id", "created_at")


def reports(user: User) -> list[dict]:
    """What the person reported to operators: comments and campaigns."""
    return [*privacy.rows(sa.select(CommentReport).where(CommentReport.reporter_id == user.id)
                          .order_by(CommentReport.id), "comment_id", "reason", "created_at"),
            *privacy.rows(sa.select(CampaignReport).where(CampaignReport.reporter_id == user.id)
                          .order_by(CampaignReport.id), "campaign_id", "reason", "created_at")]


def erase(user: User) -> None:
    db.session.execute(sa.update(Comment).where(Comment.author_id == user.id)
                       .values(body=REMOVED))
    for report in (CommentReport, CampaignReport):
        db.session.execute(sa.update(report).where(report.reporter_id == user.id)
                           .values(reason=""))
    gone = db.session.execute(sa.delete(Follow).where(sa.or_(
        Follow.user_id == user.id, Follow.founder_id == user.id))
        .returning(Follow.campaign_id)).scalars().all()
    for campaign_id, count in Counter(c for c in gone if c is not None).items():
        followers_moved(campaign_id, -count)
