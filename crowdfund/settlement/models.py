"""Charge attempts: one row per try at charging a pledge, written before the gateway call."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.db import UTCDateTime, audit_row, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge
from crowdfund.statemachine import label_statuses, status_label


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


label_statuses({
    # TRANSLATORS: the status of one try at charging a backer's card.
    ChargeStatus.STARTED: _l("Charge started"),
    ChargeStatus.SUCCEEDED: _l("Charge succeeded"),
    ChargeStatus.FAILED: _l("Charge failed"),
    # TRANSLATORS: a charge waiting for the backer to confirm it with their bank (3-D Secure).
    ChargeStatus.REQUIRES_ACTION: _l("Waiting for the bank's confirmation"),
    # TRANSLATORS: a charge whose answer was lost; it is being looked up at the gateway.
    ChargeStatus.UNKNOWN: _l("Outcome unknown"),
    # TRANSLATORS: a charge that was never sent to the payment service.
    ChargeStatus.NOT_SENT: _l("Never sent"),
})


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
    #: Indexed: reconciliation finds our refunds by the gateway's ids.
    gateway_refund_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When sending it with its key began: at the request, and again when a look-up found
    #: that the gateway never made it. Started longer ago than IDEMPOTENCY_WINDOW (the
    #: gateway may have forgotten the key), it is looked up before it is sent again
    #: (``settlement.lookups``). None on rows older than the column: ``created_at``.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    pledge: Mapped[Pledge] = relationship()
    attempt: Mapped[ChargeAttempt] = relationship()

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


label_statuses({
    RefundStatus.STARTED: _l("Refund being sent"),
    RefundStatus.SUCCEEDED: _l("Refunded"),
    RefundStatus.FAILED: _l("Refund failed"),
})


class RefundTransition(audit_row(RefundStatus), db.Model):
    """Audit trail: one row per refund status change."""

    __tablename__ = "refund_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("refunds.id"), index=True)


class DisputeStatus(enum.Enum):
    """Where a dispute stands: the gateway's own statuses (docs/money.md#disputes)."""

    #: An inquiry (a "retrieval request"): the bank asks before disputing; no money moves.
    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"  # the inquiry ended without a dispute
    NEEDS_RESPONSE = "needs_response"  # evidence is due by ``evidence_due_by``
    UNDER_REVIEW = "under_review"  # evidence sent; the bank decides
    WON = "won"  # the charge stands: the money is reinstated
    LOST = "lost"  # the backer keeps the money (also: a dispute we accepted)


class Dispute(db.Model):
    """A backer's bank disputed a charge: followed from opening to its outcome by the
    gateway's ``charge.dispute.*`` events (``settlement.disputes``)."""

    __tablename__ = "disputes"
    __table_args__ = (
        sa.CheckConstraint("fee_minor >= 0", name="fee_not_negative"),
        sa.Index("ix_disputes_status_due", "status", "evidence_due_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_dispute_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    #: What the bank disputes, in the charge's currency (never more than was charged).
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.String(64), default="")
    status: Mapped[DisputeStatus] = mapped_column(
        str_enum(DisputeStatus), default=DisputeStatus.NEEDS_RESPONSE,
        server_default=DisputeStatus.NEEDS_RESPONSE.value)
    #: The gateway's deadline for our evidence (``evidence_details.due_by``).
    evidence_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The gateway's dispute fee, read from its balance transactions (booked once).
    fee_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    #: When the disputed amount left our balance (booked ``dispute-<id>-withdrawn``).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When it came back after a dispute won (booked ``dispute-<id>-reinstated``).
    reinstated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pledge: Mapped[Pledge] = relationship()

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def fee(self) -> Money:
        return Money(self.fee_minor, self.currency)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES

    @property
    def awaits_evidence(self) -> bool:
        """Our answer is due (an inquiry or a dispute that needs a response)."""
        return self.status in (DisputeStatus.NEEDS_RESPONSE,
                               DisputeStatus.WARNING_NEEDS_RESPONSE)

    @property
    def overdue(self) -> bool:
        return (self.awaits_evidence and self.evidence_due_by is not None
                and self.evidence_due_by < utcnow())

    @property
    def status_label(self) -> str:
        return status_label(self.status)


#: Disputes not decided yet: their amount is held out of the founder's payout.
OPEN_DISPUTE_STATUSES = frozenset({
    DisputeStatus.WARNING_NEEDS_RESPONSE, DisputeStatus.WARNING_UNDER_REVIEW,
    DisputeStatus.NEEDS_RESPONSE, DisputeStatus.UNDER_REVIEW})

label_statuses({
    # TRANSLATORS: a dispute's status. An inquiry: the bank asks about a charge before
    # disputing it; our answer is due.
    DisputeStatus.WARNING_NEEDS_RESPONSE: _l("Inquiry: needs response"),
    DisputeStatus.WARNING_UNDER_REVIEW: _l("Inquiry: under review"),
    DisputeStatus.WARNING_CLOSED: _l("Inquiry closed"),
    # TRANSLATORS: a dispute's status: our evidence is due.
    DisputeStatus.NEEDS_RESPONSE: _l("Needs response"),
    # TRANSLATORS: a dispute's status: the bank is reviewing our evidence.
    DisputeStatus.UNDER_REVIEW: _l("Under review"),
    # TRANSLATORS: a dispute's status: decided for the platform (the charge stands).
    DisputeStatus.WON: _l("Won"),
    # TRANSLATORS: a dispute's status: decided for the backer (the money went back).
    DisputeStatus.LOST: _l("Lost"),
})


class DisputeTransition(audit_row(DisputeStatus), db.Model):
    """Audit trail: one row per dispute status change (the event that moved it)."""

    __tablename__ = "dispute_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(sa.ForeignKey("disputes.id"), index=True)


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
    #: When its transfer was last begun with its key (``started``), or found missing at the
    #: gateway: a transfer started longer ago than IDEMPOTENCY_WINDOW is looked up before
    #: it is sent again (``settlement.lookups``).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def is_settled(self) -> bool:
        """Paid, or being sent: the amount no longer follows the ledger."""
        return self.status in (PayoutStatus.PAID, PayoutStatus.STARTED)


label_statuses({
    # TRANSLATORS: a founder's payout: its date has not come yet.
    PayoutStatus.SCHEDULED: _l("Scheduled"),
    # TRANSLATORS: a founder's payout: its date has come; it waits to be paid.
    PayoutStatus.DUE: _l("Due for payment"),
    # TRANSLATORS: a founder's payout: the transfer was sent, its answer is being recorded.
    PayoutStatus.STARTED: _l("Being sent"),
    PayoutStatus.PAID: _l("Paid"),
    PayoutStatus.FAILED: _l("Transfer failed"),
})


class PayoutTransition(audit_row(PayoutStatus), db.Model):
    """Audit trail: one row per payout status change."""

    __tablename__ = "payout_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(sa.ForeignKey("payouts.id"), index=True)
