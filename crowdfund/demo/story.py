"""The demo's dates in the order its story tells them.

The seed makes everything now, then moves launches and pledges into the past; this puts the
rest of each story before them: a founder joined, then had their identity checked, then
submitted, was approved and launched; a backer joined before their first pledge; the
operator was there before all of it. Nothing is moved later than it was (never after now).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from crowdfund.auth.models import TwoFactor, User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge

#: How long before its launch each step of a campaign's history happened.
BEFORE_LAUNCH = {CampaignStatus.SUBMITTED: timedelta(days=3),
                 CampaignStatus.APPROVED: timedelta(days=2),
                 CampaignStatus.LIVE: timedelta(0)}
#: How long before their first launch a founder's identity was checked, and they joined.
CHECKED_BEFORE, FOUNDER_JOINED_BEFORE = timedelta(days=5), timedelta(days=40)


def in_story_order(operator: User) -> None:
    """Date the seeded history before what it led to (the caller commits)."""
    db.session.flush()
    first_launch: dict[int, datetime] = {}
    for campaign in db.session.scalars(sa.select(Campaign).where(
            Campaign.launched_at.is_not(None))):
        _history_before_launch(campaign)
        known = first_launch.get(campaign.founder_id, campaign.launched_at)
        first_launch[campaign.founder_id] = min(known, campaign.launched_at)
    for founder_id, launched_at in first_launch.items():
        founder = db.session.get(User, founder_id)
        _checked(founder, launched_at - CHECKED_BEFORE)
        _joined(founder, launched_at - FOUNDER_JOINED_BEFORE)
    for backer_id, first in db.session.execute(sa.select(
            Pledge.backer_id, sa.func.min(Pledge.created_at)).group_by(Pledge.backer_id)):
        _joined(db.session.get(User, backer_id), first - timedelta(days=2))
    earliest = min([*first_launch.values(), operator.created_at])
    _joined(operator, earliest - FOUNDER_JOINED_BEFORE - timedelta(days=20))
    two_factor = db.session.scalar(sa.select(TwoFactor).where(TwoFactor.user_id == operator.id))
    if two_factor is not None:
        two_factor.created_at = two_factor.confirmed_at = operator.created_at + timedelta(hours=1)


def _history_before_launch(campaign: Campaign) -> None:
    """Drafted, submitted and approved before the launch, which is when it went live."""
    start = campaign.launched_at - timedelta(days=10)
    campaign.created_at = min(campaign.created_at, start)
    for tier in campaign.tiers:
        tier.created_at = min(tier.created_at, start)
    for row in campaign.transitions:
        if row.to_status in BEFORE_LAUNCH:
            at = campaign.launched_at - BEFORE_LAUNCH[row.to_status]
            row.created_at = min(row.created_at, at)
        elif row.to_status is CampaignStatus.DRAFT:
            row.created_at = min(row.created_at, start)


def _checked(founder: User, at: datetime) -> None:
    """The founder's identity check, decided at ``at`` (if it was later)."""
    record = founder.verification
    if record is None or record.checked_at is None or record.checked_at <= at:
        return
    record.checked_at = at
    record.created_at = min(record.created_at, at)
    for row in record.transitions:
        row.created_at = min(row.created_at, at)


def _joined(person: User, at: datetime) -> None:
    """The account made (and its address confirmed) at ``at``, if it was later."""
    if person.created_at <= at:
        return
    person.created_at = at
    if person.email_verified_at is not None:
        person.email_verified_at = at + timedelta(minutes=10)
