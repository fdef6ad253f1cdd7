"""Differences between our books and the gateway's, and the record of each reconciliation."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.db import UTCDateTime, audit_row, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.statemachine import TransitionTable, audit_recorder, label_statuses


class DifferenceKind(enum.Enum):
    """What disagrees (docs/money.md#reconciliation-with-the-gateway)."""

    CHARGE_NOT_OURS = "charge_not_ours"  # a charge at the gateway no attempt of ours made
    CHARGE_MISSING = "charge_missing"  # collected in our books, not paid at the gateway
    CHARGE_AMOUNT = "charge_amount"  # both paid, for another amount or currency
    CHARGE_STATUS = "charge_status"  # paid at the gateway, failed in our books (or back)
    REFUND_NOT_OURS = "refund_not_ours"
    REFUND_MISSING = "refund_missing"
    REFUND_AMOUNT = "refund_amount"
    REFUND_STATUS = "refund_status"
    TRANSFER_NOT_OURS = "transfer_not_ours"
    TRANSFER_MISSING = "transfer_missing"
    TRANSFER_AMOUNT = "transfer_amount"
    TRANSFER_STATUS = "transfer_status"  # sent at the gateway, not paid in our books
    #: The processor's fee could not be booked from its balance transaction.
    FEE = "fee"


class DifferenceStatus(enum.Enum):
    """Open until an operator resolves it, with a reason."""

    OPEN = "open"
    RESOLVED = "resolved"


# TRANSLATORS: a difference between our books and the payment service's: waiting for an
# operator, or resolved by one.
label_statuses({DifferenceStatus.OPEN: _l("Open"), DifferenceStatus.RESOLVED: _l("Resolved")})


#: Per kind: what the console calls it, and what the operator does about it.
KINDS: dict[DifferenceKind, tuple[str, str]] = {
    DifferenceKind.CHARGE_NOT_OURS: (
        _l("Charge at the gateway that the platform did not make"),
        _l("Money was taken that no pledge of ours asked for (made in the Stripe dashboard, "
           "with a leaked key, or by a bug). Find it in the Stripe dashboard by its id: if "
           "nobody meant it, refund it there and rotate the API key if it was not made by "
           "staff. Resolve with what you found and did.")),
    DifferenceKind.CHARGE_MISSING: (
        _l("Collected in our books, not paid at the gateway"),
        _l("Our ledger counts money the gateway does not hold, so the founder's payout would be "
           "too high. Look the PaymentIntent up in the Stripe dashboard; hold the campaign's "
           "payout and have an engineer correct the charge through the code "
           "(docs/operations.md, A difference with the gateway). Resolve once it is corrected.")),
    DifferenceKind.CHARGE_AMOUNT: (
        _l("Charge amount or currency differs"),
        _l("The gateway charged another amount than we recorded. Compare the PaymentIntent with "
           "the pledge; refund the excess at the gateway, or have an engineer correct the "
           "record. Resolve with what was done.")),
    DifferenceKind.CHARGE_STATUS: (
        _l("Charge paid on one side only"),
        _l("One side says paid and the other does not. If the gateway holds a payment our books "
           "call failed, the backer was charged: refund it there, or have an engineer record it "
           "for the pledge. Resolve with what was done.")),
    DifferenceKind.REFUND_NOT_OURS: (
        _l("Refund at the gateway that the platform did not make"),
        _l("Money went back to a backer without a refund of ours (made in the Stripe "
           "dashboard?). Until it is recorded the founder's payout is too high by this amount: "
           "hold the payout and have an engineer record the refund for the pledge. Resolve with "
           "what was done.")),
    DifferenceKind.REFUND_MISSING: (
        _l("Refund in our books, not made at the gateway"),
        _l("The backer may not have their money back. Check the refund in the Stripe dashboard; "
           "refund the pledge again from its campaign's money page if it never went out, then "
           "resolve.")),
    DifferenceKind.REFUND_AMOUNT: (
        _l("Refund amount or currency differs"),
        _l("Compare the refund in the Stripe dashboard with ours; have an engineer correct the "
           "record (the ledger and the payout follow). Resolve with what was done.")),
    DifferenceKind.REFUND_STATUS: (
        _l("Refund succeeded on one side only"),
        _l("Check the refund in the Stripe dashboard: if it failed there, refund the pledge "
           "again; if it succeeded there, have an engineer record it. Resolve with what was "
           "done.")),
    DifferenceKind.TRANSFER_NOT_OURS: (
        _l("Transfer at the gateway that the platform did not make"),
        _l("Money was sent to a connected account without a payout of ours. Find it in the "
           "Stripe dashboard (Connect, transfers); reverse it there if nobody meant it. Resolve "
           "with what you found and did.")),
    DifferenceKind.TRANSFER_MISSING: (
        _l("Payout in our books, no transfer at the gateway"),
        _l("The founder may not have been paid. Check Connect transfers in the Stripe "
           "dashboard; pay by hand if nothing went out, and have an engineer correct the "
           "payout. Resolve with the reference.")),
    DifferenceKind.TRANSFER_AMOUNT: (
        _l("Transfer amount differs from the payout"),
        _l("The founder received another amount than the payout says (or part was reversed). "
           "Settle the difference with the founder; resolve with how.")),
    DifferenceKind.TRANSFER_STATUS: (
        _l("Transfer made, payout not paid in our books"),
        _l("The founder was paid at the gateway while our payout is not marked paid: do not pay "
           "them again. Have an engineer record the transfer on the payout; resolve with its "
           "id.")),
    DifferenceKind.FEE: (
        _l("Processing fee could not be booked"),
        _l("The gateway's fee for this charge differs from our ledger and could not be "
           "corrected automatically (another currency, or a fee that changed after it was "
           "corrected once). Have an engineer book it (docs/operations.md, A difference with "
           "the gateway); resolve with what was booked.")),
}


class GatewayDifference(db.Model):
    """One thing our books and the gateway's disagree on, recorded once (``key``), open
    until an operator resolves it with a reason."""

    __tablename__ = "gateway_differences"
    __table_args__ = (sa.Index("ix_gateway_differences_status", "status", "first_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``<kind>:<gateway object id>:<our row>``: a difference found again is the same row.
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[DifferenceKind] = mapped_column(str_enum(DifferenceKind))
    #: The gateway's object ("pi_...", "ch_...", "re_...", "tr_...", "txn_..."), if any.
    gateway_object_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: Our row it concerns ("charge attempt 12", "refund 3", "payout 2"), if any.
    our_ref: Mapped[str | None] = mapped_column(sa.String(64))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"))
    pledge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pledges.id"))
    #: What our books say, and what the gateway says ("USD 100.00 succeeded", "nothing").
    expected: Mapped[str] = mapped_column(sa.String(200))
    found: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[DifferenceStatus] = mapped_column(str_enum(DifferenceStatus),
                                                     default=DifferenceStatus.OPEN)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last reconciliation that still found it.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Why the operator resolved it (what they found and did).
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resolved_by: Mapped[User | None] = relationship()
    history: Mapped[list[DifferenceTransition]] = relationship(
        order_by="DifferenceTransition.id")

    @property
    def title(self) -> str:
        return KINDS[self.kind][0]

    @property
    def advice(self) -> str:
        """What the operator does about it."""
        return KINDS[self.kind][1]

    @property
    def is_open(self) -> bool:
        return self.status is DifferenceStatus.OPEN


class DifferenceTransition(audit_row(DifferenceStatus), db.Model):
    """Audit trail: who resolved a difference, when, and why."""

    __tablename__ = "gateway_difference_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    difference_id: Mapped[int] = mapped_column(sa.ForeignKey("gateway_differences.id"),
                                               index=True)


DIFFERENCE_TRANSITIONS = {DifferenceStatus.OPEN: {DifferenceStatus.RESOLVED},
                          DifferenceStatus.RESOLVED: set()}
difference_states = TransitionTable("difference", DIFFERENCE_TRANSITIONS,
                                    audit_recorder(DifferenceTransition, "difference_id",
                                                   "history"))


class GatewayReconciliation(db.Model):
    """One reading of the gateway's record for a period, and what it found."""

    __tablename__ = "gateway_reconciliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_from: Mapped[datetime] = mapped_column(UTCDateTime)
    period_until: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Gateway objects read (PaymentIntents, charges, refunds, transfers, balance
    #: transactions) and list requests made for them.
    objects_read: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    #: Differences seen this time (new or already recorded), and those new.
    differences_seen: Mapped[int] = mapped_column(default=0)
    differences_new: Mapped[int] = mapped_column(default=0)
    #: Processing fees replaced by the gateway's actual fee in the ledger.
    fees_corrected: Mapped[int] = mapped_column(default=0)
