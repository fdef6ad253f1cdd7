"""The community around a campaign: updates, comments and their moderation, followers,
and the founder's accounts of spending and delivery after funding."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.db import UTCDateTime, audit_row, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.money import Money


class CampaignUpdate(db.Model):
    __tablename__ = "campaign_updates"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "number", name="uq_campaign_updates_number"),
        sa.CheckConstraint("visibility IN ('public', 'backers')", name="visibility_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: 1, 2, 3... per campaign, in the order they were posted.
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(120))
    body_md: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(sa.String(10), default="public")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

    @property
    def backers_only(self) -> bool:
        return self.visibility == "backers"


# --- comments and questions ----------------------------------------------------------------


class CommentStatus(enum.Enum):
    """Whether a comment's text is shown; operators read it whatever its status."""

    VISIBLE = "visible"
    HIDDEN = "hidden"  # by an operator, with a reason shown in its place
    DELETED = "deleted"  # by its author: "[deleted by its author]" in its place


class Comment(db.Model):
    """A comment or question on a campaign or on one of its updates (``update_id``), or a
    reply (one level: ``parent_id``).

    No row is ever deleted: founders cannot remove criticism; operators hide one, with a
    reason shown in its place; its author may delete it, which takes its text off the
    page (the row, its replies and its audit trail stay: operators still read it).
    """

    __tablename__ = "comments"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('comment', 'question')", name="kind_known"),
        sa.Index("ix_comments_campaign_created", "campaign_id", "created_at"),
        sa.Index("ix_comments_author_created", "author_id", "created_at"),
        sa.Index("ix_comments_update_created", "update_id", "created_at"),
        # The campaign's threads newest first (its page, the comments page, the API),
        # read from the top of this index however many comments and replies it has.
        sa.Index("ix_comments_campaign_threads", "campaign_id", "created_at", "id",
                 sqlite_where=sa.text("update_id IS NULL AND parent_id IS NULL"),
                 postgresql_where=sa.text("update_id IS NULL AND parent_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id"), index=True)
    #: The update it is about (shown on the update's page only), or None: the campaign's
    #: own conversation. A reply is on its thread's update.
    update_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign_updates.id"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="comment")
    #: Plain text: escaped when shown (links are not made clickable).
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[CommentStatus] = mapped_column(str_enum(CommentStatus),
                                                  default=CommentStatus.VISIBLE,
                                                  active_history=True)  # community.counts
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
    campaign: Mapped[Campaign] = relationship()

    @property
    def is_hidden(self) -> bool:
        return self.status is CommentStatus.HIDDEN

    @property
    def is_deleted(self) -> bool:
        return self.status is CommentStatus.DELETED


class CommentTransition(audit_row(CommentStatus), db.Model):
    __tablename__ = "comment_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id"), index=True)


class CommentReport(db.Model):
    """Someone flagged a comment for operators. Open until an operator decides."""

    __tablename__ = "comment_reports"
    __table_args__ = (
        sa.UniqueConstraint("comment_id", "reporter_id", name="uq_comment_reports_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    comment: Mapped[Comment] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])


class CampaignReport(db.Model):
    """Someone told operators that something is wrong with a campaign (a founder who
    stopped answering, a suspected fraud). One open report per person and campaign; an
    operator closes it with a note of what was done: the row keeps who reported, why,
    when, and who decided what."""

    __tablename__ = "campaign_reports"
    __table_args__ = (
        sa.Index("uq_campaign_reports_open_once", "campaign_id", "reporter_id", unique=True,
                 sqlite_where=sa.text("resolved_at IS NULL"),
                 postgresql_where=sa.text("resolved_at IS NULL")),
        sa.Index("ix_campaign_reports_reporter_created", "reporter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: What the reporter says is wrong (emptied if they close their account).
    reason: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: The operator's note of what was done ("Suspended", "Founder answered: shipping").
    resolution: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    campaign: Mapped[Campaign] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


# --- following ------------------------------------------------------------------------------


class Follow(db.Model):
    """A user follows a campaign, or a founder (then: their launches)."""

    __tablename__ = "follows"
    __table_args__ = (
        sa.CheckConstraint("(campaign_id IS NULL) <> (founder_id IS NULL)",
                           name="one_subject"),
        sa.UniqueConstraint("user_id", "campaign_id", name="uq_follows_campaign"),
        sa.UniqueConstraint("user_id", "founder_id", name="uq_follows_founder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    founder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


# --- after funding: spending and delivery ---------------------------------------------------


class DeliveryStatus(enum.Enum):
    NOT_STARTED = "not_started"
    IN_PRODUCTION = "in_production"
    SHIPPING = "shipping"
    DELIVERED = "delivered"
    DELAYED = "delayed"


#: What pages call each delivery status (of a reward tier).
DELIVERY_LABELS = {
    # TRANSLATORS: a reward's delivery status
    DeliveryStatus.NOT_STARTED: _l("Not started"),
    # TRANSLATORS: a reward's delivery status
    DeliveryStatus.IN_PRODUCTION: _l("In production"),
    # TRANSLATORS: a reward's delivery status (on its way to backers)
    DeliveryStatus.SHIPPING: _l("Shipping"),
    # TRANSLATORS: a reward's delivery status
    DeliveryStatus.DELIVERED: _l("Delivered"),
    # TRANSLATORS: a reward's delivery status
    DeliveryStatus.DELAYED: _l("Delayed"),
}


class DeliveryReport(db.Model):
    """The founder's word on one reward tier's delivery. Append-only: the newest row is
    the tier's status, the older ones its history (nothing is rewritten)."""

    __tablename__ = "delivery_reports"
    __table_args__ = (
        sa.CheckConstraint("status <> 'delayed' OR expected_on IS NOT NULL",
                           name="delay_has_new_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_tiers.id"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus))
    #: A delay's new estimate (first day of the month it is now expected in).
    expected_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return str(DELIVERY_LABELS[self.status])


class SpendingReport(db.Model):
    """Money the founder reports as spent, against one of the campaign's budget lines
    (or none: spending the budget did not foresee)."""

    __tablename__ = "spending_reports"
    __table_args__ = (sa.CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    budget_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("budget_lines.id"))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    spent_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(300))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
