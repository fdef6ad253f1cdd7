"""The pledge row. The pledge flow itself (saved cards, changes) builds on it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.money import Money


class PledgeStatus(enum.Enum):
    """What Kickstarter shows backers, plus our own pending and released."""

    PENDING = "pending"  # card setup not confirmed yet
    ACTIVE = "active"
    CANCELLED = "cancelled"
    RELEASED = "released"  # campaign failed or was stopped: nothing charged
    COLLECTED = "collected"
    ERRORED = "errored"
    AUTHENTICATION_REQUIRED = "authentication_required"
    DROPPED = "dropped"
    DISPUTED = "disputed"
    REFUNDED = "refunded"


P = PledgeStatus

#: Pledges that make up the public "pledged" total: active now, or active when the
#: deadline passed (the total stays frozen at the deadline whatever collection does).
COUNTED_STATUSES = frozenset(
    {P.ACTIVE, P.COLLECTED, P.ERRORED, P.AUTHENTICATION_REQUIRED, P.DROPPED, P.DISPUTED,
     P.REFUNDED}
)


class Pledge(TimestampMixin, db.Model):
    """A backer's pledge to one campaign, optionally for one reward tier."""

    __tablename__ = "pledges"
    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("shipping_minor >= 0", name="shipping_not_negative"),
        sa.Index("ix_pledges_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    backer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    tier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reward_tiers.id"), index=True)
    status: Mapped[PledgeStatus] = mapped_column(str_enum(PledgeStatus), default=P.PENDING)
    #: Everything the backer will be charged, shipping included, in minor units.
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    #: The part of ``amount_minor`` that pays for shipping.
    shipping_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))

    backer: Mapped[User] = relationship()

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class PledgeTransition(db.Model):
    """Audit trail: one row per pledge status change."""

    __tablename__ = "pledge_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    from_status: Mapped[PledgeStatus] = mapped_column(str_enum(PledgeStatus))
    to_status: Mapped[PledgeStatus] = mapped_column(str_enum(PledgeStatus))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
