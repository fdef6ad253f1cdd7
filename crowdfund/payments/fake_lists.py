"""The in-process fake gateway's record: list calls, charges and balance transactions.

Part of :class:`~crowdfund.payments.fake.FakeGateway`. Every object keeps when it was made
(``created``, changeable by tests to place it in a period); a PaymentIntent that is paid
gets a charge and a balance transaction whose fee is ``fee_bps`` of the amount plus
``fee_fixed`` (Stripe's US card price by default: 2.9% + 30 cents), so that tests see the
gateway's fee differ from the ledger's estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TypeVar

from crowdfund.money import Money
from crowdfund.payments.gateway import InvalidRequest, PaymentIntentInfo, RefundInfo
from crowdfund.payments.listings import (
    PAGE_SIZE,
    BalanceTransactionInfo,
    ChargeInfo,
    Page,
    TransferInfo,
)

T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


class FakeListings:
    """Needs ``payment_intents``, ``refunds``, ``transfers``, ``calls``, ``_id`` and
    ``_require_connect`` of the gateway it is part of."""

    #: Objects per page (tests make it small to see pages turned).
    page_size = PAGE_SIZE
    fee_bps, fee_fixed = 290, 30

    def _init_listings(self) -> None:
        self.charges: dict[str, dict] = {}
        self.balance_transactions: dict[str, dict] = {}

    # --- what happens at the gateway as money moves ---------------------------------------

    def _paid(self, payment_intent_id: str) -> None:
        """A PaymentIntent was paid: its charge and balance transaction (with the fee)."""
        pi = self.payment_intents[payment_intent_id]
        amount: Money = pi["amount"]
        charge = self._id("ch")
        self.charges[charge] = {"payment_intent": payment_intent_id, "amount": amount,
                                "status": "succeeded", "created": now()}
        pi["charge"] = charge
        fee = (amount.amount * self.fee_bps + 5_000) // 10_000 + self.fee_fixed
        self._balance("charge", amount, Money(fee, amount.currency), charge)

    def _refunded(self, refund_id: str) -> None:
        refund = self.refunds[refund_id]
        amount: Money = refund["amount"]
        self._balance("refund", Money(-amount.amount, amount.currency),
                      Money.zero(amount.currency), refund_id)

    def _balance(self, kind: str, amount: Money, fee: Money, source: str) -> None:
        self.balance_transactions[self._id("txn")] = {
            "type": kind, "amount": amount, "fee": fee, "source": source, "created": now()}

    # --- list calls ------------------------------------------------------------------------

    def _page(self, rows: dict[str, dict], convert: Callable[[str], T],
              created_gte: datetime | None, created_lt: datetime | None,
              starting_after: str | None, keep: Callable[[dict], bool] = lambda row: True,
              ) -> Page[T]:
        self.calls.append("list")
        ids = [key for key, row in reversed(rows.items())  # newest first
               if keep(row) and (created_gte is None or row["created"] >= created_gte)
               and (created_lt is None or row["created"] < created_lt)]
        ids.sort(key=lambda key: rows[key]["created"], reverse=True)
        start = ids.index(starting_after) + 1 if starting_after in ids else 0
        chunk = ids[start:start + self.page_size]
        return Page([convert(key) for key in chunk], start + len(chunk) < len(ids))

    def list_payment_intents(self, *, created_gte: datetime, created_lt: datetime,
                             starting_after: str | None = None) -> Page[PaymentIntentInfo]:
        return self._page(self.payment_intents, self.retrieve_payment_intent, created_gte,
                          created_lt, starting_after)

    def list_charges(self, *, created_gte: datetime, created_lt: datetime,
                     starting_after: str | None = None) -> Page[ChargeInfo]:
        def convert(key: str) -> ChargeInfo:
            row = self.charges[key]
            refunded = sum(r["amount"].amount for r in self.refunds.values()
                           if r["payment_intent"] == row["payment_intent"])
            return ChargeInfo(key, row["status"], row["amount"], row["payment_intent"],
                              row["created"], refunded)

        return self._page(self.charges, convert, created_gte, created_lt, starting_after)

    def list_refunds(self, *, created_gte: datetime | None = None,
                     created_lt: datetime | None = None, payment_intent_id: str | None = None,
                     starting_after: str | None = None) -> Page[RefundInfo]:
        return self._page(self.refunds, self.retrieve_refund, created_gte, created_lt,
                          starting_after, lambda row: payment_intent_id in (
                              None, row["payment_intent"]))

    def list_transfers(self, *, created_gte: datetime | None = None,
                       created_lt: datetime | None = None, destination: str | None = None,
                       starting_after: str | None = None) -> Page[TransferInfo]:
        self._require_connect()
        return self._page(self.transfers, self.retrieve_transfer, created_gte, created_lt,
                          starting_after, lambda row: destination in (None, row["destination"]))

    def list_balance_transactions(self, *, created_gte: datetime, created_lt: datetime,
                                  starting_after: str | None = None,
                                  ) -> Page[BalanceTransactionInfo]:
        def convert(key: str) -> BalanceTransactionInfo:
            row = self.balance_transactions[key]
            return BalanceTransactionInfo(key, row["type"], row["amount"], row["fee"],
                                          row["source"], row["created"])

        return self._page(self.balance_transactions, convert, created_gte, created_lt,
                          starting_after)

    def retrieve_refund(self, refund_id: str) -> RefundInfo:
        row = _get(self.refunds, refund_id, "refund")
        return RefundInfo(refund_id, row.get("status", "succeeded"), row["amount"],
                          row["payment_intent"], dict(row["metadata"]), row["created"])

    def retrieve_transfer(self, transfer_id: str) -> TransferInfo:
        self._require_connect()
        row = _get(self.transfers, transfer_id, "transfer")
        return TransferInfo(transfer_id, row["amount"], row["destination"], row["created"],
                            dict(row["metadata"]), row.get("reversed", 0))

    def created_at(self, when: datetime, ids: Iterable[str]) -> None:
        """Tests: the objects ``ids`` (and their charges and balance transactions) were
        made at ``when``."""
        ids = set(ids)
        for rows in (self.payment_intents, self.charges, self.refunds, self.transfers):
            for key in ids & set(rows):
                rows[key]["created"] = when
                ids.add(rows[key].get("charge") or key)
        for row in self.balance_transactions.values():
            if row["source"] in ids:
                row["created"] = when


def _get(rows: dict[str, dict], key: str, what: str) -> dict:
    try:
        return rows[key]
    except KeyError:
        raise InvalidRequest(f"No such {what}: {key}") from None
