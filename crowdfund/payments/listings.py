"""What the gateway's list calls return: one page of typed objects at a time.

Reconciliation (docs/money.md#reconciliation-with-the-gateway) reads the gateway's own
record of a period (PaymentIntents, charges, refunds, transfers, balance transactions)
page by page, each page one request under the rate budget, and matches it to our rows.
Our metadata (``pledge_id``, ``attempt``, ``refund_id``, ``payout_id``...) is what ties a
gateway object to a row of ours when its id was never recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from crowdfund.money import Money

T = TypeVar("T")

#: How many objects one list request asks for (Stripe's maximum).
PAGE_SIZE = 100


def metadata_id(metadata: dict[str, str], key: str) -> int | None:
    """A row id written in a gateway object's metadata by us, or None (absent, not a
    number, or past a database integer: someone else wrote it)."""
    value = str(metadata.get(key) or "")
    return int(value) if value.isascii() and value.isdigit() and int(value) < 2**31 else None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One answer of a list call, newest first; ask again ``starting_after`` the last
    item's id while ``has_more``."""

    items: Sequence[T]
    has_more: bool

    @property
    def next_after(self) -> str | None:
        """The ``starting_after`` of the next page, or None when this was the last."""
        return self.items[-1].id if self.has_more and self.items else None  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ChargeInfo:
    """A charge at the gateway (made by a PaymentIntent, or directly)."""

    id: str
    status: str  # "succeeded", "pending", "failed"
    amount: Money
    payment_intent_id: str | None
    created: datetime
    #: What was given back of it, by any refund.
    refunded_minor: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class TransferInfo:
    """Money sent from the platform's balance to a connected account (a founder's payout)."""

    id: str
    amount: Money
    destination: str | None
    created: datetime
    metadata: dict[str, str] = field(default_factory=dict)
    #: Taken back from the connected account since.
    reversed_minor: int = 0

    @property
    def payout_id(self) -> int | None:
        """Our ``payouts`` row the metadata names (None for a transfer we did not make)."""
        return metadata_id(self.metadata, "payout_id")

    @property
    def net(self) -> Money:
        """What stayed with the connected account."""
        return Money(self.amount.amount - self.reversed_minor, self.amount.currency)


@dataclass(frozen=True)
class BalanceTransactionInfo:
    """A movement of the platform's balance at the gateway: where the processor's actual
    fee for a charge is written."""

    id: str
    #: "charge", "payment", "refund", "transfer", "adjustment", "payout", ...
    type: str
    amount: Money
    fee: Money
    #: The charge, refund or transfer it comes from ("ch_...", "re_...", "tr_...").
    source_id: str | None
    created: datetime

    @property
    def is_charge(self) -> bool:
        return self.type in ("charge", "payment")
