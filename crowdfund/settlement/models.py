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
    UNKNOWN = "unknown"  # started too long ago to replay safely: an operator reconciles


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
