"""Comments and questions on a campaign, reports, and operators' moderation.

No comment row is ever deleted. Founders reply (their replies are marked) but cannot
remove criticism; an operator hides a comment with a reason that is shown in its place, and
restores it the same way; its author may delete it: "[deleted by its author]" is shown in
its place, its replies stay, and operators still read what it said (reports may be about
it). Each step is in the comment's audit trail. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from crowdfund import events, memo
from crowdfund.auth.models import User
from crowdfund.auth.recovery import require_verified_email
from crowdfund.campaigns.models import Campaign
from crowdfund.community.counts import count_columns, counts_of
from crowdfund.community.models import (
    CampaignUpdate,
    Comment,
    CommentReport,
    CommentStatus,
    CommentTransition,
)
from crowdfund.community.privacy import REMOVED
from crowdfund.community.reports import check_report_rate
from crowdfund.community.states import comment_states
from crowdfund.community.text import clean_text
from crowdfund.community.updates import can_read
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.locking import lock
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.totals import backer_ids

MAX_LENGTH = 5000


class TooManyComments(DomainError):
    status_code = 429


@dataclass(frozen=True)
class Author:
    display_name: str


@dataclass(frozen=True)
class CommentView:
    """What a page shows of a comment: plain values, so that a page of threads can be
    shared between requests (no database row attached)."""

    id: int
    author_id: int
    author: Author
    kind: str
    #: Empty for a comment its author deleted, unless read for operators.
    body: str
    is_hidden: bool
    hidden_reason: str | None
    created_at: datetime
    is_deleted: bool = False
    #: Emptied when its author closed their account (``body`` is then ``privacy.REMOVED``,
    #: the same words in every language: pages show ``privacy.REMOVED_SHOWN`` instead).
    is_erased: bool = False

    @classmethod
    def of(cls, row: Comment, removed_text: bool = False) -> CommentView:
        """``removed_text``: keep the text of a deleted comment (operators' eyes only)."""
        body = "" if row.is_deleted and not removed_text else row.body
        return cls(row.id, row.author_id, Author(row.author.display_name), row.kind, body,
                   row.is_hidden, row.hidden_reason, row.created_at, row.is_deleted,
                   row.body == REMOVED)


@dataclass
class Thread:
    """A top-level comment and its replies, oldest reply first."""

    comment: CommentView
    replies: list[CommentView] = field(default_factory=list)


def _backer_ids(campaign: Campaign, user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(db.session.scalars(backer_ids(campaign.id).where(
        Pledge.backer_id.in_(user_ids))))


@dataclass
class Threads:
    """One page of a campaign's threads, newest first."""

    items: list[Thread]
    #: Authors among them who back the campaign (for the "backer" mark).
    backers: set[int]
    #: Threads in all, and which page of ``per_page`` this is.
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def with_replies(firsts: list[Comment], removed_text: bool = False) -> dict[int, Thread]:
    """The threads of these top-level comments, each with its replies (oldest first), in one
    more query: {first comment's id: thread}, in the order given."""
    threads = {row.id: Thread(CommentView.of(row, removed_text)) for row in firsts}
    if threads:
        for row in db.session.scalars(
                sa.select(Comment).where(Comment.parent_id.in_(list(threads)))
                .options(selectinload(Comment.author))
                .order_by(Comment.created_at, Comment.id)):
            threads[row.parent_id].replies.append(CommentView.of(row, removed_text))
    return threads


def threads_of(campaign: Campaign, *, page: int = 1, per_page: int | None = None,
               removed_text: bool = False, before: tuple[datetime, int] | None = None,
               ) -> Threads:
    """A page of threads, newest first, each with its replies (oldest first): a constant
    number of queries and rows whatever the campaign's comments (the campaign page shows
    the newest few, its comments page the rest). ``removed_text``: with the text of
    comments their authors deleted (for operators). ``before``: the threads older than
    this (created at, id) of a thread, instead of a page number (a keyset: the API)."""
    per_page = per_page or current_app.config["COMMENT_THREADS_PER_PAGE"]
    top = (sa.select(Comment).where(Comment.campaign_id == campaign.id,
                                    Comment.update_id.is_(None), Comment.parent_id.is_(None))
           .order_by(Comment.created_at.desc(), Comment.id.desc()))
    if before is not None:
        top = top.where(sa.tuple_(Comment.created_at, Comment.id) < before)
    firsts = list(db.session.scalars(top.options(selectinload(Comment.author))
                                     .limit(per_page).offset((page - 1) * per_page)))
    threads = with_replies(firsts, removed_text)
    total = counts_of(campaign.id)["threads"] \
        if len(firsts) == per_page or page > 1 else len(firsts)
    authors = {c.author_id for t in threads.values() for c in [t.comment, *t.replies]}
    return Threads(list(threads.values()), _backer_ids(campaign, authors), total, page,
                   per_page)


def threads_stamp_columns(campaign_id) -> tuple:
    """What changes when a comment is posted on a campaign (its count) or deleted by its
    author (how many are), as scalar subqueries to select with other things: the key of
    what is shared between viewers. Read from the kept counts (``community.counts``): one
    row, however many comments. ``campaign_id``: an id or a bound parameter."""
    comments, _threads, deleted, _followers = count_columns(campaign_id)
    return comments, deleted


def shown_threads(campaign: Campaign, per_page: int, stamp: tuple) -> Threads:
    """The newest threads as the campaign page shows them: shared between viewers a few
    seconds per process (``crowdfund.memo.shown``), read again at once when a comment is
    posted (``stamp``, read with ``threads_stamp_columns``, is in the key). A comment
    hidden or restored shows so within those seconds (operators read it fresh); one
    deleted by its author at once."""
    return memo.shown(("threads", campaign.id, per_page, stamp),
                      lambda: threads_of(campaign, per_page=per_page))


def page_of(comment: Comment) -> int | None:
    """Where a comment's thread is: None on the campaign page (among the newest threads),
    or its page on the comments page."""
    first = db.session.get(Comment, comment.parent_id) if comment.parent_id else comment
    newer = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
        Comment.campaign_id == first.campaign_id, Comment.update_id.is_(None),
        Comment.parent_id.is_(None),
        sa.tuple_(Comment.created_at, Comment.id) > (first.created_at, first.id)))
    if newer < current_app.config["COMMENT_THREADS_ON_CAMPAIGN_PAGE"]:
        return None
    return newer // current_app.config["COMMENT_THREADS_PER_PAGE"] + 1


def _check_rate(author: User, now: datetime) -> None:
    """At most COMMENT_RATE_LIMIT comments in the window; the author's row is locked so
    that comments posted at once are counted one after the other."""
    limit, window = current_app.config["COMMENT_RATE_LIMIT"]
    lock(author)
    recent = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
        Comment.author_id == author.id, Comment.created_at > now - window))
    if recent >= limit:
        minutes = max(1, int(window.total_seconds() // 60))
        raise TooManyComments(ngettext(
            "You have posted %(num)s comment in the last %(window)s. Please wait a little "
            "before posting again.",
            "You have posted %(num)s comments in the last %(window)s. Please wait a little "
            "before posting again.", limit,
            window=ngettext("%(num)s minute", "%(num)s minutes", minutes)), field="body")


def post_comment(campaign: Campaign, author: User, body: str, *, kind: str = "comment",
                 parent_id: int | None = None, update: CampaignUpdate | None = None,
                 now: datetime | None = None) -> Comment:
    """A new comment or question, or a reply to one (replies are comments); on one of the
    campaign's updates with ``update`` (a backers-only one: by those who may read it)."""
    now = now or utcnow()
    if not campaign.is_public:
        raise DomainError(_("Comments open once the campaign is live."))
    require_verified_email(author)
    if update is not None:
        if update.campaign_id != campaign.id:
            raise DomainError(_("That update is not this campaign's."))
        if update.backers_only and not can_read(author, campaign):
            raise NotAllowed(_("Only backers can comment on a backers-only update."))
        kind = "comment"  # questions to the founder are asked in the campaign's own
    text = clean_text(body)
    if not text:
        raise DomainError(_("Write something first."), field="body")
    if len(text) > MAX_LENGTH:
        raise DomainError(_("Keep it under %(count)s characters.", count=MAX_LENGTH),
                          field="body")
    if kind not in ("comment", "question"):
        raise DomainError(_("Choose comment or question."), field="kind")
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if (parent is None or parent.campaign_id != campaign.id or parent.parent_id is not None
                or parent.update_id != (update.id if update else None)):
            raise DomainError(_("That comment cannot be answered here."))
        if parent.is_hidden:
            raise DomainError(_("That comment was hidden by a moderator."))
        if parent.is_deleted:
            raise DomainError(_("That comment was deleted by its author."))
        kind = "comment"
    _check_rate(author, now)
    comment = Comment(campaign_id=campaign.id, author_id=author.id, parent_id=parent_id,
                      update_id=update.id if update else None, kind=kind, body=text,
                      created_at=now)
    db.session.add(comment)
    db.session.flush()
    events.comment_posted.send(campaign, comment=comment)  # a question: the founder told
    return comment


def report(comment: Comment, reporter: User, reason: str) -> CommentReport:
    """Flag a comment for operators (once per person; reporting again is a no-op; at most
    REPORT_RATE_LIMIT reports per person in the window)."""
    reason = clean_text(reason)[:300]
    if not reason:
        raise DomainError(_("Tell us what is wrong with it."), field="reason")
    if comment.author_id == reporter.id:
        raise DomainError(_("You cannot report your own comment."))
    if comment.is_deleted:
        raise DomainError(_("That comment was deleted by its author: nobody sees it any "
                            "more."))
    existing = db.session.scalar(sa.select(CommentReport).where(
        CommentReport.comment_id == comment.id, CommentReport.reporter_id == reporter.id))
    if existing is not None:
        return existing
    check_report_rate(reporter, utcnow())
    row = CommentReport(comment_id=comment.id, reporter_id=reporter.id, reason=reason)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same person reported it at the same instant: a no-op
        return db.session.scalar(sa.select(CommentReport).where(
            CommentReport.comment_id == comment.id, CommentReport.reporter_id == reporter.id))
    return row


def delete_own(comment: Comment, author: User) -> None:
    """The author takes their comment off the page: "[deleted by its author]" is shown in
    its place and its replies stay; the row and its audit trail are kept for moderation
    (operators still read it, and its open reports). Nobody else deletes a comment."""
    if comment.author_id != author.id:
        raise NotAllowed(_("Only its author can delete a comment."))
    lock(comment)  # deleted twice at once: one audit row, the other is told
    if comment.is_deleted:
        raise DomainError(_("This comment is already deleted."))
    comment_states.apply(comment, CommentStatus.DELETED, actor=author,
                         reason="Deleted by its author")


def _resolve_reports(comment: Comment, operator: User) -> None:
    now = utcnow()
    for row in db.session.scalars(sa.select(CommentReport).where(
            CommentReport.comment_id == comment.id, CommentReport.resolved_at.is_(None))):
        row.resolved_at = now
        row.resolved_by_id = operator.id


def hide(comment: Comment, operator: User, reason: str) -> None:
    """Operators only: the comment's text is replaced on the page by the reason."""
    if not operator.is_operator:
        raise NotAllowed(_("Only operators moderate comments."))
    reason = clean_text(reason)
    if not reason:
        raise DomainError(_("Say why it is hidden: the reason is shown in its place."),
                          field="reason")
    comment_states.apply(comment, CommentStatus.HIDDEN, actor=operator, reason=reason)
    comment.hidden_reason = reason
    _resolve_reports(comment, operator)


def restore(comment: Comment, operator: User, reason: str) -> None:
    if not operator.is_operator:
        raise NotAllowed(_("Only operators moderate comments."))
    reason = clean_text(reason)
    if not reason:
        raise DomainError(_("Say why it is restored (for the audit trail)."), field="reason")
    comment_states.apply(comment, CommentStatus.VISIBLE, actor=operator, reason=reason)
    comment.hidden_reason = None
    _resolve_reports(comment, operator)


def dismiss_reports(comment: Comment, operator: User) -> None:
    """The reports were not founded: the comment stays as it is."""
    if not operator.is_operator:
        raise NotAllowed(_("Only operators moderate comments."))
    _resolve_reports(comment, operator)


@dataclass
class ReportedComment:
    comment: Comment
    reports: list[CommentReport]


def moderation_queue(include_resolved: bool = False) -> list[ReportedComment]:
    """Comments with reports, most reported first (open reports only by default)."""
    stmt = sa.select(CommentReport).order_by(CommentReport.created_at)
    if not include_resolved:
        stmt = stmt.where(CommentReport.resolved_at.is_(None))
    grouped: dict[int, ReportedComment] = {}
    for row in db.session.scalars(stmt):
        grouped.setdefault(row.comment_id, ReportedComment(row.comment, [])).reports.append(row)
    return sorted(grouped.values(), key=lambda r: (-len(r.reports), r.reports[0].created_at))


def history_of(comment: Comment) -> list[CommentTransition]:
    return list(db.session.scalars(sa.select(CommentTransition).where(
        CommentTransition.comment_id == comment.id).order_by(CommentTransition.id)))
