"""What a founder's payout holds back, and what their earlier payouts carry into it
(docs/money.md#what-a-payout-holds-back).

A payout is the campaign's ledger balance for its founder (``ledger.services.founder_owed``)
less what open disputes hold, plus what the founder's campaigns already paid out owe or are
owed since: a refund or a dispute lost after the payout leaves that campaign's balance
negative (the founder owes it); a dispute won after it leaves it positive. That carried
balance is taken into the founder's next payout, in the same currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.ledger.services import founder_owed
from crowdfund.money import Money
from crowdfund.settlement.models import (
    OPEN_DISPUTE_STATUSES,
    Dispute,
    Payout,
    PayoutStatus,
    Refund,
)

#: Payouts whose money has left (or is being sent): their campaign's balance since is
#: carried into the founder's next payout.
CARRIED_FROM = (PayoutStatus.PAID, PayoutStatus.STARTED)


def held(campaign_id: int, currency: str) -> Money:
    """Open disputes whose money is still in our balance (an inquiry, or a dispute whose
    withdrawal has not been reported yet): held out of the payout until they close. Once
    withdrawn, the ledger has taken the amount off already."""
    return in_open_disputes(campaign_id, currency, Dispute.withdrawn_at.is_(None))


def in_open_disputes(campaign_id: int, currency: str, *where) -> Money:
    """What the campaign's open disputes are about (withdrawn or not): what the founder
    sees held until they are decided."""
    total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Dispute.amount_minor), 0))
                              .where(Dispute.campaign_id == campaign_id,
                                     Dispute.currency == currency,
                                     Dispute.status.in_(OPEN_DISPUTE_STATUSES), *where))
    return Money(int(total or 0), currency)


def carried(founder_id: int, currency: str, excluding: int | None = None) -> Money:
    """What the founder's campaigns paid out already owe (negative) or are owed (positive)
    since their payout, less what open disputes hold there; a payout being sent counts as
    paid. ``excluding``: the campaign whose own payout this is for."""
    stmt = (sa.select(Payout).join(Campaign, Campaign.id == Payout.campaign_id)
            .where(Campaign.founder_id == founder_id, Payout.currency == currency,
                   Payout.status.in_(CARRIED_FROM)))
    if excluding is not None:
        stmt = stmt.where(Payout.campaign_id != excluding)
    total = 0
    for payout in db.session.scalars(stmt):
        total += (founder_owed(payout.campaign_id, currency)
                  - held(payout.campaign_id, currency)).amount
        if payout.status is PayoutStatus.STARTED:  # sent, not booked yet
            total -= payout.amount_minor
    return Money(total, currency)


def founder_of(campaign_id: int) -> int:
    """The id of the campaign's founder."""
    return db.session.scalar(sa.select(Campaign.founder_id).where(Campaign.id == campaign_id))


def payable(payout: Payout) -> Money:
    """What ``payout`` should pay now: its campaign's balance, less open disputes' holds,
    plus what the founder's earlier payouts carry."""
    campaign_id, currency = payout.campaign_id, payout.currency
    return (founder_owed(campaign_id, currency) - held(campaign_id, currency)
            + carried(founder_of(campaign_id), currency, excluding=campaign_id))


def lock_founder(campaign_id: int) -> None:
    """Lock the founder's row: two of their payouts are then paid one after the other, so
    a carried balance is taken into one of them only."""
    db.session.scalar(sa.select(User.id).where(User.id == founder_of(campaign_id))
                      .with_for_update())


@dataclass(frozen=True)
class FounderBalance:
    """What a founder's paid-out campaigns owe (or are owed) since, in one currency."""

    founder: User
    balance: Money

    @property
    def owes(self) -> bool:
        return self.balance.amount < 0

    @property
    def size(self) -> Money:
        return Money(abs(self.balance.amount), self.balance.currency)


def balances_of(founder: User) -> list[FounderBalance]:
    """The founder's carried balances, one per currency they were paid in (zero: none)."""
    currencies = db.session.scalars(
        sa.select(Payout.currency).distinct().join(Campaign, Campaign.id == Payout.campaign_id)
        .where(Campaign.founder_id == founder.id, Payout.status.in_(CARRIED_FROM)))
    found = [FounderBalance(founder, carried(founder.id, c)) for c in sorted(currencies)]
    return [row for row in found if row.balance.amount]


def founders_with_balances(limit: int = 100) -> list[FounderBalance]:
    """Founders whose paid-out campaigns owe or are owed money since (a refund or a
    dispute after the payout), largest debt first: for operators."""
    moved_after = sa.or_(
        sa.exists().where(Dispute.campaign_id == Payout.campaign_id),
        sa.exists().where(Refund.campaign_id == Payout.campaign_id))
    rows = db.session.execute(
        sa.select(Campaign.founder_id, Payout.currency).distinct()
        .join(Campaign, Campaign.id == Payout.campaign_id)
        .where(Payout.status.in_(CARRIED_FROM), moved_after)).all()
    found = [(founder_id, carried(founder_id, currency)) for founder_id, currency in rows]
    found = sorted(((f, m) for f, m in found if m.amount), key=lambda item: item[1].amount)
    users = {u.id: u for u in db.session.scalars(
        sa.select(User).where(User.id.in_([f for f, _ in found[:limit]])))}
    return [FounderBalance(users[f], m) for f, m in found[:limit]]
