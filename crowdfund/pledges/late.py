"""Late pledges (docs/money.md#late-pledges): a funded reward campaign whose founder chose
it takes pledges for ``late_pledge_days`` after its deadline, at the founder's late prices,
each charged at once (``settlement.late``) and counted apart from the totals frozen at the
deadline. The pledge itself is made as any pledge is (``services.open_pending``: one open
pledge per backer and campaign, reward and add-on units claimed by conditional UPDATEs);
only its window, its prices and its mark differ. Services never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.quoting import quote
from crowdfund.pledges.services import open_pending

S, P = CampaignStatus, PledgeStatus
#: Funded, and not settled yet: a campaign settles (its payout scheduled) only once its
#: late window has closed, so late money is in that payout (``settlement.recovery``).
LATE_STATUSES = (S.FUNDED, S.COLLECTING)
#: Late pledges whose money counts: collected, or disputed (still ours until lost).
LATE_COUNTED = (P.COLLECTED, P.DISPUTED)


class LateClosed(DomainError):
    """The campaign takes no late pledge now."""

    status_code = 409


def late_window_ends(campaign: Campaign) -> datetime | None:
    """When the campaign stops taking late pledges (None: it never takes any)."""
    if campaign.late_pledge_days is None or campaign.deadline is None:
        return None
    return campaign.deadline + timedelta(days=campaign.late_pledge_days)


def late_window_open(campaign: Campaign, now: datetime | None = None) -> bool:
    try:
        require_late_open(campaign, now)
    except LateClosed:
        return False
    return True


def require_late_open(campaign: Campaign, now: datetime | None = None) -> None:
    """A reward campaign, funded at its deadline, whose founder takes late pledges, inside
    the late window."""
    now = now or utcnow()
    if campaign.kind is CampaignKind.EQUITY:
        raise LateClosed(_("An equity offering takes no late pledges."))
    if campaign.status not in LATE_STATUSES or campaign.pledged_at_deadline_minor is None:
        raise LateClosed(_("Only a funded campaign takes late pledges."))
    ends = late_window_ends(campaign)
    if ends is None:
        raise LateClosed(_("This campaign takes no late pledges."))
    if now >= ends:
        raise LateClosed(_("Late pledges for this campaign have closed."))


def start_late_pledge(backer: User, campaign: Campaign, tier: RewardTier | None,
                      amount: Money, destination: str | None, now: datetime | None = None,
                      *, extras: Iterable[tuple[AddOn, int]] = ()) -> Pledge:
    """A pending late pledge holding its reward and add-on units, at the late price at
    least; the card page then saves its card and charges it at once."""
    now = now or utcnow()
    require_late_open(campaign, now)
    if tier is None:
        raise DomainError(_("Choose a reward."), field="tier")
    result = quote(campaign, tier, amount, destination, extras, late=True)
    return open_pending(backer, campaign, result, now, tier=tier, destination=destination,
                        late=True)


@dataclass(frozen=True)
class LateTotals:
    """Late pledges' money, apart from the totals frozen at the deadline."""

    amount: Money
    backers: int


def late_totals(campaign: Campaign) -> LateTotals:
    """What late pledges brought (collected, less refunds) and from how many backers."""
    amount, backers = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(Pledge.amount_minor - Pledge.refunded_minor), 0),
        sa.func.count(sa.distinct(Pledge.backer_id))).where(
        Pledge.campaign_id == campaign.id, Pledge.late.is_(True),
        Pledge.status.in_(LATE_COUNTED))).one()
    return LateTotals(Money(int(amount), campaign.currency), int(backers))
