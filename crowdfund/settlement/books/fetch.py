"""The gateway's record of a period, read page by page under the rate budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crowdfund.payments.gateway import (
    ConnectUnsupported,
    InvalidRequest,
    PaymentGateway,
    PaymentIntentInfo,
    RefundInfo,
)
from crowdfund.payments.listings import BalanceTransactionInfo, ChargeInfo, TransferInfo
from crowdfund.settlement.reading import GatewayReader


@dataclass
class GatewayRecord:
    """What the gateway holds for ``[since, until)``, plus the objects of ours from the
    period it did not list, looked up one by one (``add_looked_up``)."""

    since: datetime
    until: datetime
    payment_intents: list[PaymentIntentInfo] = field(default_factory=list)
    charges: list[ChargeInfo] = field(default_factory=list)
    refunds: list[RefundInfo] = field(default_factory=list)
    #: None: not read (Connect is off, so the platform makes no transfers).
    transfers: list[TransferInfo] | None = None
    balance_transactions: list[BalanceTransactionInfo] = field(default_factory=list)
    #: Ids of ours the gateway does not know (looked up: "No such ...").
    unknown_ids: set[str] = field(default_factory=set)

    @property
    def objects(self) -> int:
        return (len(self.payment_intents) + len(self.charges) + len(self.refunds)
                + len(self.transfers or ()) + len(self.balance_transactions))

    def known_ids(self) -> set[str]:
        return ({pi.id for pi in self.payment_intents} | {r.id for r in self.refunds}
                | {t.id for t in self.transfers or ()})


def read(gateway: PaymentGateway, reader: GatewayReader, since: datetime, until: datetime, *,
         transfers: bool) -> GatewayRecord:
    """List every PaymentIntent, charge, refund, balance transaction (and, with
    ``transfers``, Connect transfer) the gateway made in ``[since, until)``."""
    period = {"created_gte": since, "created_lt": until}
    record = GatewayRecord(since, until)
    record.payment_intents = list(reader.pages(gateway.list_payment_intents, **period))
    record.charges = list(reader.pages(gateway.list_charges, **period))
    record.refunds = list(reader.pages(gateway.list_refunds, **period))
    if transfers:
        try:
            record.transfers = list(reader.pages(gateway.list_transfers, **period))
        except ConnectUnsupported:
            record.transfers = None  # this gateway makes no transfers: nothing to compare
    record.balance_transactions = list(reader.pages(gateway.list_balance_transactions,
                                                    **period))
    return record


def add_looked_up(record: GatewayRecord, gateway: PaymentGateway, reader: GatewayReader,
                  ids: list[str]) -> None:
    """Look up, one by one, objects of ours from the period that the lists did not hold
    (made just outside it, or not at all): found ones join the record; the gateway's "No
    such ..." puts the id in ``unknown_ids``."""
    look_up = {"pi_": (gateway.retrieve_payment_intent, record.payment_intents),
               "re_": (gateway.retrieve_refund, record.refunds),
               "tr_": (gateway.retrieve_transfer, record.transfers)}
    for object_id in ids:
        fn, into = next((v for k, v in look_up.items() if object_id.startswith(k)),
                        (None, None))
        if fn is None or into is None:
            record.unknown_ids.add(object_id)  # not an id this gateway makes
            continue
        try:
            into.append(reader.call(fn, object_id))
        except InvalidRequest:
            record.unknown_ids.add(object_id)
