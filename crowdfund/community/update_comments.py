"""An update's own page: the update of a campaign at its id, who may read it, and the
conversation under it (comments whose ``update_id`` is the update's: never among the
campaign's own comments), newest thread first, a page at a time by keyset (the cursor is
the last thread shown: a page costs the same however many comments came before it).
Posting, reporting, deleting and moderating are ``comments``' (same rules, rate limits and
audit trail). Services never commit."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from crowdfund.campaigns.models import Campaign
from crowdfund.community.comments import Thread, with_replies
from crowdfund.community.models import CampaignUpdate, Comment
from crowdfund.community.updates import can_read
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.totals import backer_ids


def update_of(campaign: Campaign, update_id: int) -> CampaignUpdate | None:
    """``campaign``'s update ``update_id``; None for another campaign's."""
    update = db.session.get(CampaignUpdate, update_id)
    if update is None or update.campaign_id != campaign.id:
        return None
    return update


def may_read(user, update: CampaignUpdate, campaign: Campaign) -> bool:
    """A public update: anyone; a backers-only one: its backers, its founder, operators."""
    return not update.backers_only or can_read(user, campaign)


@dataclass
class UpdateThreads:
    """One page of an update's threads, newest first."""

    items: list[Thread]
    #: Authors among them who back the campaign (for the "backer" mark).
    backers: set[int]
    #: Threads in all under the update.
    total: int
    #: The id of the last thread shown when older ones follow (the next page's cursor).
    older: int | None
    #: Whether this page was asked for with a cursor (not the newest threads).
    paged: bool


def threads_of_update(update: CampaignUpdate, *, before: int | None = None,
                      per_page: int | None = None,
                      removed_text: bool = False) -> UpdateThreads:
    """The threads older than thread ``before`` (the newest without it), each with its
    replies, oldest first: four queries whatever the update's comments. ``removed_text``:
    with the text of comments their authors deleted (operators)."""
    per_page = per_page or current_app.config["COMMENT_THREADS_PER_PAGE"]
    top = sa.select(Comment).where(Comment.update_id == update.id, Comment.parent_id.is_(None))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(top.subquery()))
    anchor = db.session.get(Comment, before) if before is not None else None
    if anchor is not None and anchor.update_id == update.id:
        top = top.where(sa.tuple_(Comment.created_at, Comment.id)
                        < (anchor.created_at, anchor.id))
    rows = list(db.session.scalars(
        top.options(selectinload(Comment.author))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(per_page + 1)))
    older = rows[per_page - 1].id if len(rows) > per_page else None
    threads = with_replies(rows[:per_page], removed_text)
    authors = {c.author_id for t in threads.values() for c in [t.comment, *t.replies]}
    backers = set(db.session.scalars(backer_ids(update.campaign_id).where(
        Pledge.backer_id.in_(authors)))) if authors else set()
    return UpdateThreads(list(threads.values()), backers, total, older,
                         paged=anchor is not None)
