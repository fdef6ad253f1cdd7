"""Charge attempts: one row per try at charging a pledge, written before the gateway call."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.db import UTCDateTime, audit_row, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge


class ChargeStatus(enum.Enum):
    """Where one charge attempt stands."""

    STARTED = "started"  # row committed, gateway call made or about to be
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined or refused: the pledge is errored
    REQUIRES_ACTION = "requires_action"  # the backer must authenticate on-session
    UNKNOWN = "unknown"  # started too long ago to replay: reconciled against the gateway
    #: Reconciled: the gateway has no charge for it, so it never went out; the pledge is
    #: charged again with a new attempt (and a new key).
    NOT_SENT = "not_sent"


class ChargeAttempt(db.Model):
    """One try at charging a pledge, with the idempotency key that makes it happen once."""

    __tablename__ = "charge_attempts"
    __table_args__ = (
        sa.UniqueConstraint("pledge_id", "attempt_no", name="uq_charge_attempts_pledge_attempt"),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.Index("ix_charge_attempts_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    #: 1 for the charge at the deadline, 2... for retries.
    attempt_no: Mapped[int] = mapped_column()
    #: ``pledge-<id>-charge-<n>``: built from our rows, stored before the call.
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[ChargeStatus] = mapped_column(str_enum(ChargeStatus),
                                                 default=ChargeStatus.STARTED)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(sa.String(64))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pledge: Mapped[Pledge] = relationship()

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class ChargeTransition(audit_row(ChargeStatus), db.Model):
    """Audit trail: one row per charge attempt status change."""

    __tablename__ = "charge_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("charge_attempts.id"), index=True)


class RefundStatus(enum.Enum):
    """Where one refund stands (the same crash-safe protocol as charges)."""

    STARTED = "started"  # row committed with its key; the gateway call may have happened
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(db.Model):
    """Money given back to a backer for a collected pledge, in full or in part."""

    __tablename__ = "refunds"
    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.Index("ix_refunds_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    #: The charge that collected the money being given back.
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("charge_attempts.id"))
    #: ``pledge-<id>-refund-<n>``: built from our rows, stored before the call.
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus),
                                                 default=RefundStatus.STARTED)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    gateway_refund_id: Mapped[str | None] = mapped_column(sa.String(64))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pledge: Mapped[Pledge] = relationship()
    attempt: Mapped[ChargeAttempt] = relationship()

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class RefundTransition(audit_row(RefundStatus), db.Model):
    """Audit trail: one row per refund status change."""

    __tablename__ = "refund_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("refunds.id"), index=True)


class Dispute(db.Model):
    """A backer's bank disputed a charge (``charge.dispute.created``)."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_dispute_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pledge: Mapped[Pledge] = relationship()

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class PayoutStatus(enum.Enum):
    """A founder's payout: scheduled until it is due, then paid (by transfer or by hand)."""

    SCHEDULED = "scheduled"
    DUE = "due"
    STARTED = "started"  # a transfer was sent with its key; the outcome is being recorded
    PAID = "paid"
    FAILED = "failed"


class Payout(db.Model):
    """What a settled campaign's founder receives: collected minus fees, refunds, disputes."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), unique=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus),
                                                 default=PayoutStatus.SCHEDULED)
    #: "connect" (a transfer to the founder's connected account) or "manual".
    method: Mapped[str] = mapped_column(sa.String(10), default="manual")
    #: ``campaign-<id>-payout``: the transfer's idempotency key.
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    destination_account: Mapped[str | None] = mapped_column(sa.String(64))
    transfer_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: For manual payouts, what the operator entered (bank reference).
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class PayoutTransition(audit_row(PayoutStatus), db.Model):
    """Audit trail: one row per payout status change."""

    __tablename__ = "payout_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(sa.ForeignKey("payouts.id"), index=True)
