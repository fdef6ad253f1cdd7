"""Ledger transactions and their entries (debits and credits in minor units)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.db import UTCDateTime, str_enum, utcnow
from crowdfund.extensions import db


class Account(enum.Enum):
    """The platform's accounts (assets on the left, what we owe on the right)."""

    #: Money held for us at the payment processor (an asset).
    PROCESSOR_BALANCE = "processor_balance"
    #: What founders are owed from collected pledges, less fees, refunds and disputes;
    #: a payout brings a campaign's balance to zero.
    FOUNDER_PAYABLE = "founder_payable"
    #: The platform's fee (revenue).
    PLATFORM_FEES = "platform_fees"
    #: The processor's fee, estimated at charge time (a cost passed to the founder).
    PROCESSING_FEES = "processing_fees"
    #: Money given back to backers (refunds) or taken back by their banks (disputes), and
    #: money sent to founders: what left the processor balance, by reason.
    REFUNDS = "refunds"
    DISPUTES = "disputes"
    PAYOUTS = "payouts"
    #: The processor's fee for a dispute (kept even when the dispute is won; a cost passed
    #: to the founder, like the processing fee).
    DISPUTE_FEES = "dispute_fees"


class LedgerTransaction(db.Model):
    """One money event (a collected charge, a refund, a payout), balanced per currency."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "charge", "refund", "payout", "dispute".
    kind: Mapped[str] = mapped_column(sa.String(20))
    #: What it records, e.g. ``charge-attempt-12``: unique, so an event is posted once.
    source_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    pledge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    memo: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="transaction",
                                                      cascade="all, delete-orphan")


class LedgerEntry(db.Model):
    """One side of a transaction: a debit or a credit to one account, in one currency."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.CheckConstraint("debit_minor >= 0 AND credit_minor >= 0", name="not_negative"),
        sa.CheckConstraint("(debit_minor = 0) <> (credit_minor = 0)", name="one_side"),
        sa.Index("ix_ledger_entries_account_currency", "account", "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"),
                                                index=True)
    account: Mapped[Account] = mapped_column(str_enum(Account, length=40))
    currency: Mapped[str] = mapped_column(sa.String(3))
    debit_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credit_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
