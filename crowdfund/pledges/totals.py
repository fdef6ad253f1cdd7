"""What campaigns raised: pledged totals and backers over counted pledges, and who backs
a campaign or a reward."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crowdfund import memo
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges.models import COUNTED_STATUSES, Pledge
from crowdfund.pledges.summary import summed, totals_by_campaign


@dataclass(frozen=True)
class Totals:
    """What a campaign has raised: the sum over its counted pledges, and their backers."""

    pledged: Money
    backers: int

    def percent_of(self, goal: Money) -> int:
        return self.pledged.percent_of(goal)


def totals_subquery(campaign_ids: sa.Select) -> sa.Subquery:
    """Per campaign that ``campaign_ids`` selects: pledged total (minor units) and backer
    count over counted pledges, from the kept day totals (``pledges.summary``)."""
    return summed(campaign_ids).subquery("totals")


def totals_for(campaigns: list[Campaign]) -> dict[int, Totals]:
    """Live totals of several campaigns in one query, from the day totals kept as pledges
    change (a few rows per campaign, however many pledges); campaigns without pledges
    read 0. For pages: rules add up the pledges themselves (``counted_totals_of``)."""
    found = totals_by_campaign([c.id for c in campaigns])
    return {
        c.id: Totals(Money(found.get(c.id, (0, 0))[0], c.currency), found.get(c.id, (0, 0))[1])
        for c in campaigns
    }


def totals_of(campaign: Campaign) -> Totals:
    """Totals as pages show them: the kept live totals; once the deadline has passed,
    the totals frozen at the deadline."""
    if campaign.pledged_at_deadline_minor is not None:
        return _frozen(campaign)
    return totals_for([campaign])[campaign.id]


def counted_totals_of(campaign: Campaign) -> Totals:
    """``totals_of`` added up from the pledges themselves, for rules and the close (what
    the deadline freezes); the kept day totals are for pages."""
    if campaign.pledged_at_deadline_minor is not None:
        return _frozen(campaign)
    pledged, backers = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Pledge.amount_minor), 0),
                  sa.func.count(sa.distinct(Pledge.backer_id)))
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(COUNTED_STATUSES))).one()
    return Totals(Money(int(pledged), campaign.currency), int(backers))


def _frozen(campaign: Campaign) -> Totals:
    return Totals(Money(campaign.pledged_at_deadline_minor, campaign.currency),
                  campaign.backers_at_deadline or 0)


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


def backer_ids(campaign_id: int) -> sa.Select:
    """SELECT of the ids of the campaign's backers: people with a counted pledge (active now,
    or when the deadline passed). For ``IN (...)`` clauses and membership checks."""
    return sa.select(Pledge.backer_id).where(Pledge.campaign_id == campaign_id,
                                             Pledge.status.in_(COUNTED_STATUSES))


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
