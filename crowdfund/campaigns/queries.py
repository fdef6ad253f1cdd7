"""Read-side queries: pledged totals, discovery listings, visibility."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from crowdfund import memo
from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import PUBLIC_STATUSES, CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges.models import COUNTED_STATUSES, Pledge


@dataclass(frozen=True)
class Totals:
    """What a campaign has raised: the sum over its counted pledges, and their backers."""

    pledged: Money
    backers: int

    def percent_of(self, goal: Money) -> int:
        return self.pledged.percent_of(goal)


def totals_subquery(campaign_ids: sa.Select | None = None) -> sa.Subquery:
    """Per campaign: pledged total (minor units) and backer count over counted pledges;
    only for the campaigns ``campaign_ids`` selects when given (not every pledge ever)."""
    stmt = (
        sa.select(
            Pledge.campaign_id.label("campaign_id"),
            sa.func.coalesce(sa.func.sum(Pledge.amount_minor), 0).label("pledged_minor"),
            sa.func.count(sa.distinct(Pledge.backer_id)).label("backers"),
        )
        .where(Pledge.status.in_(COUNTED_STATUSES))
        .group_by(Pledge.campaign_id)
    )
    if campaign_ids is not None:
        stmt = stmt.where(Pledge.campaign_id.in_(campaign_ids))
    return stmt.subquery("totals")


def totals_for(campaigns: list[Campaign]) -> dict[int, Totals]:
    """Totals for several campaigns in one query (campaigns without pledges read 0)."""
    ids = [c.id for c in campaigns]
    found: dict[int, tuple[int, int]] = {}
    if ids:
        rows = db.session.execute(
            sa.select(
                Pledge.campaign_id,
                sa.func.coalesce(sa.func.sum(Pledge.amount_minor), 0).label("pledged_minor"),
                sa.func.count(sa.distinct(Pledge.backer_id)).label("backers"),
            )
            .where(Pledge.campaign_id.in_(ids), Pledge.status.in_(COUNTED_STATUSES))
            .group_by(Pledge.campaign_id)
        )
        found = {row.campaign_id: (int(row.pledged_minor), int(row.backers)) for row in rows}
    return {
        c.id: Totals(Money(found.get(c.id, (0, 0))[0], c.currency), found.get(c.id, (0, 0))[1])
        for c in campaigns
    }


def totals_of(campaign: Campaign) -> Totals:
    """Live totals; once the deadline has passed, the totals frozen at the deadline."""
    if campaign.pledged_at_deadline_minor is not None:
        return Totals(Money(campaign.pledged_at_deadline_minor, campaign.currency),
                      campaign.backers_at_deadline or 0)
    return totals_for([campaign])[campaign.id]


def shown_totals_for(campaigns: list[Campaign]) -> dict[int, Totals]:
    """``totals_for`` as the public pages show it: the same for every visitor, so kept a
    few seconds per process (``crowdfund.memo.shown``); never for a rule."""
    frozen = {c.id: totals_of(c) for c in campaigns if c.pledged_at_deadline_minor is not None}
    live = [c for c in campaigns if c.id not in frozen]
    if not live:
        return frozen
    return {**frozen, **memo.shown(("totals", tuple(sorted(c.id for c in live))),
                                   lambda: totals_for(live))}


def shown_totals_of(campaign: Campaign) -> Totals:
    return shown_totals_for([campaign])[campaign.id]


def collected_of(campaign: Campaign) -> Money:
    """What was really charged: the sum of succeeded charge attempts."""
    from crowdfund.settlement.models import ChargeAttempt, ChargeStatus

    amount = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(
        ChargeAttempt.amount_minor), 0)).where(ChargeAttempt.campaign_id == campaign.id,
                                               ChargeAttempt.status == ChargeStatus.SUCCEEDED))
    return Money(int(amount or 0), campaign.currency)


def backer_ids(campaign_id: int) -> sa.Select:
    """SELECT of the ids of the campaign's backers: people with a counted pledge (active now,
    or when the deadline passed). For ``IN (...)`` clauses and membership checks."""
    return sa.select(Pledge.backer_id).where(Pledge.campaign_id == campaign_id,
                                             Pledge.status.in_(COUNTED_STATUSES))


def tier_of(campaign: Campaign, tier_id) -> RewardTier | None:
    """The campaign's tier ``tier_id`` (as typed: junk gives None) with its shipping rates,
    in one query."""
    try:
        wanted = int(tier_id)
    except (TypeError, ValueError):
        return None
    if not 0 < wanted < 2**31:
        return None
    return db.session.scalars(_tier_with_rates(), {"tier": wanted, "campaign": campaign.id}
                              ).unique().one_or_none()


@functools.cache
def _tier_with_rates() -> sa.Select:
    return (sa.select(RewardTier)
            .where(RewardTier.id == sa.bindparam("tier"),
                   RewardTier.campaign_id == sa.bindparam("campaign"))
            .options(joinedload(RewardTier.shipping_rates)))


def tiers_with_backers(campaign: Campaign) -> set[int]:
    """Ids of the campaign's tiers that counted pledges (or claimed units) point at."""
    rows = db.session.scalars(
        sa.select(Pledge.tier_id).where(
            Pledge.campaign_id == campaign.id,
            Pledge.tier_id.is_not(None),
            Pledge.status.in_(COUNTED_STATUSES),
        ).distinct()
    )
    ids = set(rows)
    ids.update(t.id for t in campaign.tiers if t.claimed > 0)
    return ids


def tier_has_backers(tier: RewardTier) -> bool:
    return tier.id in tiers_with_backers(tier.campaign)


SORTS = {
    "newest": "Newest",
    "ending": "Ending soon",
    "funded": "Most funded",
}


#: What a campaign card shows besides the campaign: its founder's verified badge (one
#: query for a whole list).
CARD_LOADS = (joinedload(Campaign.founder).selectinload(User.verification),)


def discover(*, q: str | None = None, category: str | None = None, sort: str = "newest",
             page: int = 1, per_page: int | None = None, now: datetime | None = None,
             count: bool = True):
    """A page of live campaigns, filtered and sorted; returns a Flask-SQLAlchemy Pagination
    (``count=False``: no COUNT query, for lists that show no page numbers)."""
    now = now or utcnow()
    per_page = per_page or current_app.config["CAMPAIGNS_PER_PAGE"]
    live = (Campaign.status == CampaignStatus.LIVE, Campaign.deadline > now)
    stmt = (sa.select(Campaign).join(User, Campaign.founder_id == User.id).where(*live)
            .options(*CARD_LOADS))
    if category:
        stmt = stmt.where(Campaign.category == category)
    if q:
        words = [w for w in q.split() if w][:6]
        for word in words:
            like = f"%{_escape_like(word.lower())}%"
            stmt = stmt.where(
                sa.or_(
                    sa.func.lower(Campaign.title).like(like, escape="\\"),
                    sa.func.lower(Campaign.blurb).like(like, escape="\\"),
                    sa.func.lower(User.display_name).like(like, escape="\\"),
                )
            )
    if sort == "ending":
        stmt = stmt.order_by(Campaign.deadline.asc(), Campaign.id)
    elif sort == "funded":
        # Percentage of goal, so that currencies and sizes compare fairly; the totals of
        # live campaigns only.
        sub = totals_subquery(sa.select(Campaign.id).where(*live))
        pledged = sa.func.coalesce(sub.c.pledged_minor, 0)
        stmt = stmt.outerjoin(sub, sub.c.campaign_id == Campaign.id).order_by(
            (pledged * 10000 / Campaign.goal_minor).desc(), Campaign.launched_at.desc(),
            Campaign.id)
    else:
        stmt = stmt.order_by(Campaign.launched_at.desc(), Campaign.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=count)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def public_campaigns_of(person: User) -> list[Campaign]:
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.founder_id == person.id, Campaign.status.in_(PUBLIC_STATUSES))
            .order_by(Campaign.launched_at.desc()).options(*CARD_LOADS)
        )
    )


def category_counts(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Campaign.category, sa.func.count())
        .where(Campaign.status == CampaignStatus.LIVE, Campaign.deadline > now)
        .group_by(Campaign.category)
    )
    return {category: count for category, count in rows}


@dataclass(frozen=True)
class Outcome:
    """After the deadline, what really happened to the money (the honest totals)."""

    pledged: Money  # frozen at the deadline
    backers: int
    collected: Money  # charges that went through
    collecting: Money  # failed charges backers can still fix
    collecting_count: int
    dropped: Money  # never paid: dropped after the collection window
    dropped_count: int
    refunded: Money
    refunded_count: int
    payout: object | None  # the founder's Payout once paid

    @property
    def kept(self) -> Money:
        """Collected and not given back."""
        return self.collected - self.refunded


def outcome_of(campaign: Campaign) -> Outcome | None:
    """Honest totals of a funded campaign (None before its deadline, or if it failed:
    then nothing was charged and the page says so)."""
    from crowdfund.pledges.models import NEEDS_PAYMENT_STATUSES, PledgeStatus
    from crowdfund.settlement.models import Payout, PayoutStatus

    if campaign.pledged_at_deadline_minor is None or campaign.status not in (
            CampaignStatus.FUNDED, CampaignStatus.COLLECTING, CampaignStatus.SETTLED):
        return None

    def sum_count(*conditions) -> tuple[Money, int]:
        amount, count = db.session.execute(sa.select(
            sa.func.coalesce(sa.func.sum(Pledge.amount_minor), 0), sa.func.count()).where(
            Pledge.campaign_id == campaign.id, *conditions)).one()
        return Money(int(amount), campaign.currency), int(count)

    refunded, refunded_count = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(Pledge.refunded_minor), 0), sa.func.count()).where(
        Pledge.campaign_id == campaign.id, Pledge.refunded_minor > 0)).one()
    collecting, collecting_count = sum_count(Pledge.status.in_(NEEDS_PAYMENT_STATUSES))
    dropped, dropped_count = sum_count(Pledge.status == PledgeStatus.DROPPED)
    payout = db.session.scalar(sa.select(Payout).where(
        Payout.campaign_id == campaign.id, Payout.status == PayoutStatus.PAID))
    frozen = totals_of(campaign)
    return Outcome(frozen.pledged, frozen.backers, collected_of(campaign), collecting,
                   collecting_count, dropped, dropped_count,
                   Money(int(refunded), campaign.currency), int(refunded_count), payout)
