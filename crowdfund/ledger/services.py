"""Posting money events to the ledger, and checking it.

Posting happens in the same transaction as the event's status change, keyed by the event
(``source_key`` is unique), so a charge is booked exactly once whatever retries happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from crowdfund.db import collecting, utcnow
from crowdfund.extensions import db
from crowdfund.ledger.models import Account, LedgerEntry, LedgerTransaction
from crowdfund.money import Money


class LedgerImbalance(ValueError):
    """A transaction whose debits and credits differ."""


def _round_div(numerator: int, denominator: int) -> int:
    """Integer division rounding half up (amounts are never negative here)."""
    return (numerator * 2 + denominator) // (denominator * 2)


@dataclass(frozen=True)
class Fees:
    """The split of one collected charge."""

    platform: Money
    processing: Money

    @property
    def total(self) -> Money:
        return self.platform + self.processing


def fees_for(amount: Money) -> Fees:
    """Platform fee and the processor's estimated fee for a charge (settings, in bps)."""
    cfg = current_app.config
    small = amount.amount < cfg["SMALL_CHARGE_BELOW_MINOR"]
    bps = cfg["SMALL_PROCESSING_FEE_BPS"] if small else cfg["PROCESSING_FEE_BPS"]
    fixed = cfg["SMALL_PROCESSING_FEE_FIXED_MINOR"] if small else cfg["PROCESSING_FEE_FIXED_MINOR"]
    platform = _round_div(amount.amount * cfg["PLATFORM_FEE_BPS"], 10_000)
    processing = min(_round_div(amount.amount * bps, 10_000) + fixed, amount.amount - platform)
    return Fees(Money(platform, amount.currency), Money(processing, amount.currency))


def post(kind: str, source_key: str, campaign_id: int, pledge_id: int | None,
         lines: list[tuple[Account, Money, Money]], memo: str = "", *,
         look_up: bool = True) -> LedgerTransaction | None:
    """Book one balanced transaction; ``lines`` are (account, debit, credit).

    Returns None when ``source_key`` was booked already (nothing is booked twice; the same
    key posted twice before a flush fails on the unique ``source_key`` instead). With
    ``look_up=False`` the caller's own state guarantees the event happens once (the
    database's unique key still refuses a second posting), and no SELECT is spent. Inside
    :func:`batch` the posting waits for the batch's INSERTs (None is returned then too).
    """
    pending = db.session.info.get(_BATCH)
    if pending is not None and source_key in pending:
        return None
    if look_up:
        with db.session.no_autoflush:  # no flush per posting: a batch flushes once
            exists = db.session.scalar(sa.select(LedgerTransaction.id).where(
                LedgerTransaction.source_key == source_key))
        if exists is not None:
            return None
    by_currency: dict[str, int] = {}
    entries = []
    for account, debit, credit in lines:
        if debit.amount == 0 and credit.amount == 0:
            continue
        by_currency[debit.currency] = by_currency.get(debit.currency, 0) + debit.amount
        by_currency[credit.currency] = by_currency.get(credit.currency, 0) - credit.amount
        entries.append({"account": account, "currency": debit.currency,
                        "debit_minor": debit.amount, "credit_minor": credit.amount})
    if any(by_currency.values()):
        raise LedgerImbalance(f"{source_key}: debits and credits differ {by_currency}")
    values = {"kind": kind, "source_key": source_key, "campaign_id": campaign_id,
              "pledge_id": pledge_id, "memo": memo[:200]}
    if pending is not None:
        pending[source_key] = ({**values, _OWNER: db.session.info.get(_OWNER)}, entries)
        return None
    transaction = LedgerTransaction(**values, entries=[LedgerEntry(**e) for e in entries])
    db.session.add(transaction)
    return transaction


_BATCH = "ledger_batch"
_OWNER = "ledger_owner"


@contextmanager
def batch() -> Iterator[None]:
    """Postings made inside are booked at the end with one INSERT of their transactions
    and one of their entries (settlement books one per charge, hundreds per batch).
    Nested batches join the outer one; nothing is booked if the block raises."""
    with collecting(db.session, _BATCH) as pending:  # {source key: (values, entries)}
        yield
    if not pending:
        return  # nested (the outer batch books), or nothing posted
    now = utcnow()
    ids = dict(db.session.execute(
        sa.insert(LedgerTransaction).returning(LedgerTransaction.source_key,
                                               LedgerTransaction.id),
        [{**{k: v for k, v in values.items() if k != _OWNER}, "created_at": now}
         for values, _ in pending.values()]).all())
    db.session.execute(sa.insert(LedgerEntry), [
        {**entry, "transaction_id": ids[key]}
        for key, (_, entries) in pending.items() for entry in entries])


@contextmanager
def staged(owner: object) -> Iterator[None]:
    """Inside :func:`batch`: the postings of ``owner`` (one item of a loop: made in this
    block, or in an earlier try of the same item) are dropped if the block raises, like
    the item's rolled-back rows."""
    pending = db.session.info.get(_BATCH)
    if pending is None:
        yield
        return
    db.session.info[_OWNER] = owner
    try:
        yield
    except BaseException:
        for key in [k for k, (values, _) in pending.items() if values.get(_OWNER) == owner]:
            del pending[key]
        raise
    finally:
        db.session.info.pop(_OWNER, None)


def post_charge(attempt) -> LedgerTransaction | None:
    """A collected charge: cash at the processor, owed to the founder less the fees.

    Posted when the attempt becomes ``succeeded``, which its transition table allows once:
    no look-up needed (two processes recording the same answer at once collide on the
    unique key, and the second rolls back)."""
    amount = attempt.amount
    fees = fees_for(amount)
    zero = Money.zero(amount.currency)
    return post("charge", f"charge-attempt-{attempt.id}", attempt.campaign_id, attempt.pledge_id, [
        (Account.PROCESSOR_BALANCE, amount, zero),
        (Account.FOUNDER_PAYABLE, zero, amount - fees.total),
        (Account.PLATFORM_FEES, zero, fees.platform),
        (Account.PROCESSING_FEES, zero, fees.processing),
    ], memo=f"Pledge {attempt.pledge_id} collected ({attempt.payment_intent_id})",
        look_up=False)


def balance(account: Account, currency: str, campaign_id: int | None = None) -> Money:
    """Credits minus debits for liabilities and revenue, debits minus credits for assets."""
    net_sum = sa.func.sum(LedgerEntry.debit_minor - LedgerEntry.credit_minor)
    stmt = sa.select(sa.func.coalesce(net_sum, 0)).where(LedgerEntry.account == account,
                                                         LedgerEntry.currency == currency)
    if campaign_id is not None:
        stmt = stmt.join(LedgerTransaction).where(LedgerTransaction.campaign_id == campaign_id)
    net = int(db.session.scalar(stmt) or 0)
    return Money(net if account in DEBIT_NORMAL else -net, currency)


#: Accounts whose balance is debits minus credits (the rest: credits minus debits).
DEBIT_NORMAL = frozenset({Account.PROCESSOR_BALANCE, Account.REFUNDS, Account.DISPUTES,
                          Account.PAYOUTS, Account.DISPUTE_FEES})


def founder_owed(campaign_id: int, currency: str) -> Money:
    """What the founder is still owed: their share of collections less refunds, disputes
    (and their fees) and what was paid out already (may be negative after a late refund)."""
    return (balance(Account.FOUNDER_PAYABLE, currency, campaign_id)
            - balance(Account.REFUNDS, currency, campaign_id)
            - balance(Account.DISPUTES, currency, campaign_id)
            - balance(Account.DISPUTE_FEES, currency, campaign_id)
            - balance(Account.PAYOUTS, currency, campaign_id))


def post_refund(refund) -> LedgerTransaction | None:
    """Money given back to a backer leaves the processor balance (the fees stay booked:
    neither the processor nor the platform returns them)."""
    zero = Money.zero(refund.currency)
    return post("refund", f"refund-{refund.id}", refund.campaign_id, refund.pledge_id, [
        (Account.REFUNDS, refund.amount, zero),
        (Account.PROCESSOR_BALANCE, zero, refund.amount),
    ], memo=f"Refund to pledge {refund.pledge_id} ({refund.gateway_refund_id})")


def post_dispute(dispute, movement: str) -> LedgerTransaction | None:
    """A dispute moved money (docs/money.md#disputes), keyed ``dispute-<id>-<movement>``:
    ``withdrawn`` (the bank took the amount back), ``fee`` (the processor's dispute fee),
    ``reinstated`` (the dispute was won: the amount came back; the fee stays)."""
    zero = Money.zero(dispute.currency)
    out, account = {"withdrawn": (True, Account.DISPUTES), "fee": (True, Account.DISPUTE_FEES),
                    "reinstated": (False, Account.DISPUTES)}[movement]
    amount = dispute.fee if movement == "fee" else dispute.amount
    lines = [(account, amount, zero), (Account.PROCESSOR_BALANCE, zero, amount)] if out else \
        [(Account.PROCESSOR_BALANCE, amount, zero), (account, zero, amount)]
    return post("dispute", f"dispute-{dispute.gateway_dispute_id}-{movement}",
                dispute.campaign_id, dispute.pledge_id, lines,
                memo=f"Dispute {movement} on pledge {dispute.pledge_id} ({dispute.reason})")


def post_payout(payout) -> LedgerTransaction | None:
    zero = Money.zero(payout.currency)
    return post("payout", f"payout-{payout.id}", payout.campaign_id, None, [
        (Account.PAYOUTS, payout.amount, zero),
        (Account.PROCESSOR_BALANCE, zero, payout.amount),
    ], memo=f"Payout for campaign {payout.campaign_id} "
            f"({payout.transfer_id or payout.reference or payout.method})")


# Who else's rows the ledger must agree with: each source returns its problems (an empty
# list: it agrees). Settlement registers the charges, refunds, disputes and payouts
# (``settlement.reconciliation``); the ledger itself knows only its own rows.
_SOURCES: dict[str, Callable[[], list[str]]] = {}


def checked_against(name: str, source: Callable[[], list[str]]) -> None:
    """Register ``source``: :func:`check` runs it after the ledger's own balance checks."""
    _SOURCES[name] = source


def check() -> list[str]:
    """Everything that is wrong with the ledger (an empty list: it is right): every
    transaction balances, per currency, and so does the whole ledger; then each registered
    source agrees with what is booked (settlement: every succeeded charge, refund, dispute
    and paid payout booked once, for its amount)."""
    if not _SOURCES:  # never "right" only because nothing was compared
        raise LookupError("No sources to check the ledger against: is settlement registered?")
    problems = balance_problems()
    for source in _SOURCES.values():
        problems.extend(source())
    return problems


def balance_problems() -> list[str]:
    """Transactions (and the whole ledger, per currency) whose debits differ from credits."""
    problems: list[str] = []
    rows = db.session.execute(
        sa.select(LedgerEntry.transaction_id, LedgerEntry.currency,
                  sa.func.sum(LedgerEntry.debit_minor), sa.func.sum(LedgerEntry.credit_minor))
        .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)).all()
    totals: dict[str, list[int]] = {}
    for transaction_id, currency, debit, credit in rows:
        if debit != credit:
            problems.append(f"transaction {transaction_id} ({currency}): debits {debit} != "
                            f"credits {credit}")
        pair = totals.setdefault(currency, [0, 0])
        pair[0] += int(debit)
        pair[1] += int(credit)
    for currency, (debit, credit) in totals.items():
        if debit != credit:
            problems.append(f"ledger ({currency}): debits {debit} != credits {credit}")
    return problems


def booked(kind: str, account: Account) -> dict[str, int]:
    """What is booked on ``account`` by transactions of ``kind``, by their source key."""
    return {key: int(amount) for key, amount in db.session.execute(
        sa.select(LedgerTransaction.source_key, sa.func.sum(LedgerEntry.debit_minor))
        .join(LedgerEntry).where(LedgerTransaction.kind == kind,
                                 LedgerEntry.account == account)
        .group_by(LedgerTransaction.source_key))}
