"""The rules of when a pledge may be made, changed or cancelled: the campaign is live and
before its deadline; in its last day, no change takes a funded campaign below its goal."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.i18n import _
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.totals import counted_totals_of

P = PledgeStatus


class CampaignClosed(DomainError):
    """The campaign is not taking pledges (not live, or past its deadline)."""

    status_code = 409


class LastDayRule(DomainError):
    """In the last 24 hours a pledge cannot drop the campaign below its goal."""

    status_code = 409


def require_open_for_pledges(campaign: Campaign, now: datetime | None = None) -> None:
    now = now or utcnow()
    if campaign.status is not CampaignStatus.LIVE or campaign.deadline is None:
        raise CampaignClosed(_("This campaign is not taking pledges."))
    if campaign.deadline <= now:
        raise CampaignClosed(_("This campaign has ended; pledges are closed."))


def check_last_day(pledge: Pledge, reduction: Money, now: datetime) -> None:
    """``reduction`` (a cancellation, a lower amount) in the last day must not take a funded
    campaign below its goal. Call with the campaign locked to act on the answer (a page
    may ask without: closing an account does, then cancels under the lock)."""
    campaign = pledge.campaign
    if reduction.amount <= 0 or pledge.status is not P.ACTIVE:
        return
    if now < campaign.deadline - current_app.config["LAST_DAY_LOCK"]:
        return
    current = counted_totals_of(campaign).pledged
    after = current - reduction
    if current >= campaign.goal and after < campaign.goal:
        raise LastDayRule(_(
            "In the last 24 hours you cannot cancel or lower your pledge if that would take "
            "the campaign below its goal (%(goal)s). It would drop to %(total)s.",
            goal=campaign.goal.format(), total=after.format()))
