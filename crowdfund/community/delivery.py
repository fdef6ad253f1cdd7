"""After funding: the founder's account of spending and of reward delivery, backers'
receipts, and the "late" flag. Services never commit.

A tier is **late** once the month it is expected in (its estimated delivery, or the new
month of the latest delay) is over and it is neither shipping nor delivered. Posting a
delay with a new month is the update that clears the flag; anything else leaves it on.

Each report is told (``events.delivery_reported``): the pledge manager locks the tier's
surveys at shipping and counts the erasure of its addresses from delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import (
    DELIVERY_LABELS,
    DeliveryReport,
    DeliveryStatus,
    SpendingReport,
)
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus

FUNDED_STATUSES = (CampaignStatus.FUNDED, CampaignStatus.COLLECTING, CampaignStatus.SETTLED)
#: Backers who paid for a reward (and were not refunded in full).
DELIVERABLE = (PledgeStatus.COLLECTED, PledgeStatus.DISPUTED)


def _month_after(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass
class TierDelivery:
    tier: RewardTier
    history: list[DeliveryReport]  # newest first
    backers: int = 0
    received: int = 0
    today: date = field(default_factory=lambda: utcnow().date())

    @property
    def latest(self) -> DeliveryReport | None:
        return self.history[0] if self.history else None

    @property
    def status(self) -> DeliveryStatus:
        return self.latest.status if self.latest else DeliveryStatus.NOT_STARTED

    @property
    def label(self) -> str:
        return str(DELIVERY_LABELS[self.status])

    @property
    def expected_month(self) -> date | None:
        latest_delay = next((r for r in self.history if r.status is DeliveryStatus.DELAYED),
                            None)
        return latest_delay.expected_on if latest_delay else self.tier.estimated_delivery

    @property
    def late(self) -> bool:
        if self.status in (DeliveryStatus.SHIPPING, DeliveryStatus.DELIVERED):
            return False
        expected = self.expected_month
        return expected is not None and self.today >= _month_after(expected)


def _require_funded(campaign: Campaign) -> None:
    if campaign.status not in FUNDED_STATUSES:
        raise DomainError(_("This is reported once the campaign is funded."))


def delivery_of(campaign: Campaign, today: date | None = None) -> list[TierDelivery]:
    today = today or utcnow().date()
    tiers = [t for t in campaign.tiers]
    if not tiers:
        return []
    reports: dict[int, list[DeliveryReport]] = {t.id: [] for t in tiers}
    for row in db.session.scalars(sa.select(DeliveryReport).where(
            DeliveryReport.tier_id.in_(reports)).order_by(DeliveryReport.id.desc())):
        reports[row.tier_id].append(row)
    counts = {tier_id: (int(n), int(got)) for tier_id, n, got in db.session.execute(
        sa.select(Pledge.tier_id, sa.func.count(), sa.func.count(Pledge.received_at))
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(DELIVERABLE),
               Pledge.tier_id.is_not(None)).group_by(Pledge.tier_id))}
    return [TierDelivery(t, reports[t.id], *counts.get(t.id, (0, 0)), today=today)
            for t in tiers]


def report_delivery(campaign: Campaign, founder: User, tier_id: int, status: str,
                    expected_on: date | None, note: str, *,
                    today: date | None = None) -> DeliveryReport:
    require_founder(campaign, founder)
    _require_funded(campaign)
    today = today or utcnow().date()
    tier = next((t for t in campaign.tiers if t.id == tier_id), None)
    if tier is None:
        raise DomainError(_("Choose one of this campaign's rewards."), field="tier_id")
    try:
        new_status = DeliveryStatus(status)
    except ValueError:
        raise DomainError(_("Choose a delivery status."), field="status") from None
    if new_status is DeliveryStatus.DELAYED:
        if expected_on is None:
            raise DomainError(_("A delay needs the month it is now expected in."),
                              field="expected_on")
        if expected_on < today.replace(day=1):
            raise DomainError(_("The new month cannot be in the past."), field="expected_on")
        if not note.strip():
            raise DomainError(_("Tell your backers why it is late."), field="note")
    else:
        expected_on = None
    row = DeliveryReport(tier_id=tier.id, status=new_status, expected_on=expected_on,
                         note=note.strip(), author_id=founder.id, created_at=utcnow())
    db.session.add(row)
    events.delivery_reported.send(campaign, tier=tier, report=row)
    return row


def reward_may_have_arrived(pledge: Pledge, today: date | None = None) -> bool:
    """A paid reward that could be in the backer's hands: the founder reports it shipping
    or delivered, or its estimated delivery month has come."""
    if pledge.tier_id is None or pledge.status not in DELIVERABLE:
        return False
    today = today or utcnow().date()
    latest = db.session.scalar(sa.select(DeliveryReport.status).where(
        DeliveryReport.tier_id == pledge.tier_id).order_by(DeliveryReport.id.desc()).limit(1))
    if latest in (DeliveryStatus.SHIPPING, DeliveryStatus.DELIVERED):
        return True
    estimated = pledge.tier.estimated_delivery
    return estimated is not None and estimated <= today


def confirm_receipt(pledge: Pledge, backer: User, now: datetime | None = None) -> None:
    if pledge.backer_id != backer.id:
        raise NotAllowed(_("This is not your pledge."))
    if pledge.tier_id is None or pledge.status not in DELIVERABLE:
        raise DomainError(_("Only a paid pledge with a reward can be marked as received."))
    today = (now or utcnow()).date()
    if pledge.received_at is None and not reward_may_have_arrived(pledge, today):
        raise DomainError(_("This reward has not been sent yet: confirm it once it arrives."))
    if pledge.received_at is None:
        pledge.received_at = now or utcnow()


@dataclass(frozen=True)
class SpendingLine:
    label: str
    budgeted: Money | None
    spent: Money

    @property
    def percent(self) -> int | None:
        return self.spent.percent_of(self.budgeted) if self.budgeted else None


@dataclass(frozen=True)
class Spending:
    lines: list[SpendingLine]
    reports: list[SpendingReport]
    total: Money


def spending_of(campaign: Campaign) -> Spending:
    reports = list(db.session.scalars(sa.select(SpendingReport).where(
        SpendingReport.campaign_id == campaign.id).order_by(
        SpendingReport.spent_on.desc(), SpendingReport.id.desc())))
    spent: dict[int | None, int] = {}
    for row in reports:
        spent[row.budget_line_id] = spent.get(row.budget_line_id, 0) + row.amount_minor
    cur = campaign.currency
    lines = [SpendingLine(line.label, line.amount, Money(spent.get(line.id, 0), cur))
             for line in campaign.budget_lines]
    if None in spent:
        lines.append(SpendingLine(_("Not in the budget"), None, Money(spent[None], cur)))
    return Spending(lines, reports, Money(sum(spent.values()), cur))


def report_spending(campaign: Campaign, founder: User, budget_line_id: int | None,
                    amount: Money, spent_on: date, note: str, *,
                    today: date | None = None) -> SpendingReport:
    require_founder(campaign, founder)
    _require_funded(campaign)
    today = today or utcnow().date()
    if budget_line_id is not None and budget_line_id not in {
            line.id for line in campaign.budget_lines}:
        raise DomainError(_("Choose one of the campaign's budget lines."), field="budget_line_id")
    if amount.currency != campaign.currency or amount.amount <= 0:
        raise DomainError(_("Enter the amount spent."), field="amount")
    if spent_on > today:
        raise DomainError(_("Report money already spent, not planned."), field="spent_on")
    if not note.strip():
        raise DomainError(_("Say what it was spent on."), field="note")
    row = SpendingReport(campaign_id=campaign.id, budget_line_id=budget_line_id,
                         amount_minor=amount.amount, currency=amount.currency,
                         spent_on=spent_on, note=note.strip()[:300], author_id=founder.id)
    db.session.add(row)
    return row


def late_deliveries(today: date | None = None) -> list[tuple[Campaign, TierDelivery]]:
    """For operators: every late tier of a funded campaign, oldest expected month first."""
    today = today or utcnow().date()
    campaigns = db.session.scalars(sa.select(Campaign).where(
        Campaign.status.in_(FUNDED_STATUSES), Campaign.id.in_(
            sa.select(RewardTier.campaign_id).where(
                RewardTier.estimated_delivery < today.replace(day=1))))).all()
    late = [(c, d) for c in campaigns for d in delivery_of(c, today) if d.late]
    return sorted(late, key=lambda pair: (pair[1].expected_month, pair[0].id))

