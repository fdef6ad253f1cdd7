"""What a funded campaign really raised: collected, still being collected, dropped,
refunded, paid out (the honest totals on its page and the operators' console)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.money import Money
from crowdfund.pledges.late import LateTotals, late_totals
from crowdfund.pledges.models import NEEDS_PAYMENT_STATUSES, PledgeStatus
from crowdfund.pledges.summary import buckets_of, sums_of
from crowdfund.pledges.totals import totals_of
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus, Payout, PayoutStatus

#: A pledge in one of these was charged once, its whole amount (a refund or a dispute
#: changes what was kept, not what was charged).
CHARGED_STATUSES = (PledgeStatus.COLLECTED, PledgeStatus.REFUNDED, PledgeStatus.DISPUTED)


def collected_of(campaign: Campaign, *, late: bool | None = None,
                 buckets: dict | None = None) -> Money:
    """What was really charged: the amounts of the pledges charged (``CHARGED_STATUSES``),
    from the kept day totals (``pledges.summary``: a few rows, however many pledges);
    ``late=False``: of the pledges made by the deadline only (the public page counts late
    pledges apart: ``pledges.late.late_totals``). Equal to the sum of the succeeded charge
    attempts (``charged_of``): the test suite checks it after every test. ``buckets``:
    the campaign's ``summary.buckets_of``, when the caller read them already."""
    charged = sums_of(campaign.id, statuses=CHARGED_STATUSES, late=late, buckets=buckets)
    return Money(charged["pledged_minor"], campaign.currency)


def charged_of() -> dict[int, int]:
    """``{campaign: minor units}`` of the succeeded charge attempts, from the attempts."""
    return {cid: int(amount) for cid, amount in db.session.execute(
        sa.select(ChargeAttempt.campaign_id, sa.func.sum(ChargeAttempt.amount_minor))
        .where(ChargeAttempt.status == ChargeStatus.SUCCEEDED)
        .group_by(ChargeAttempt.campaign_id))}


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
    #: Late pledges, apart from the totals at the deadline (``pledges.late``).
    late: LateTotals | None = None

    @property
    def kept(self) -> Money:
        """Collected and not given back."""
        return self.collected - self.refunded


def outcome_of(campaign: Campaign) -> Outcome | None:
    """Honest totals of a funded campaign (None before its deadline, or if it failed:
    then nothing was charged and the page says so)."""
    if campaign.pledged_at_deadline_minor is None or campaign.status not in (
            CampaignStatus.FUNDED, CampaignStatus.COLLECTING, CampaignStatus.SETTLED):
        return None

    # The day totals kept as pledges change (pledges.summary), read once: a few rows.
    buckets = buckets_of(campaign.id)

    def sum_count(**where) -> tuple[Money, int]:
        sums = sums_of(campaign.id, buckets=buckets, **where)
        return Money(sums["pledged_minor"], campaign.currency), sums["pledges"]

    on_time = sums_of(campaign.id, late=False, buckets=buckets)
    refunded, refunded_count = on_time["refunded_minor"], on_time["refunded_pledges"]
    collecting, collecting_count = sum_count(statuses=NEEDS_PAYMENT_STATUSES)
    dropped, dropped_count = sum_count(statuses=[PledgeStatus.DROPPED])
    payout = db.session.scalar(sa.select(Payout).where(
        Payout.campaign_id == campaign.id, Payout.status == PayoutStatus.PAID))
    frozen = totals_of(campaign)
    return Outcome(frozen.pledged, frozen.backers,
                   collected_of(campaign, late=False, buckets=buckets),
                   collecting,
                   collecting_count, dropped, dropped_count,
                   Money(int(refunded), campaign.currency), int(refunded_count), payout,
                   late_totals(campaign))
