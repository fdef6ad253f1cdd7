"""Following campaigns and founders, and what followers are told. Services never commit.

Followers of a founder hear when the founder launches a campaign; followers of a campaign
hear when it is about to end (ENDING_SOON_NOTICE before the deadline, from ``flask jobs
run``), when it is funded or failed, and its public updates. Backers are not told twice:
they get their own pledge emails. Every notice has an outbox dedupe key, so a job run twice
or a retried transaction never mails twice.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.counts import counts_of, followers_moved
from crowdfund.community.models import Follow
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.notifications import emails
from crowdfund.pledges.totals import backer_ids
from crowdfund.supervision import each_isolated


def _follow(user: User, **subject) -> bool:
    if _follow_id(user, **subject) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Follow(user_id=user.id, **subject))
    except IntegrityError:  # the same follow at the same instant (a double click): a no-op
        return False
    if "campaign_id" in subject:
        followers_moved(subject["campaign_id"], 1)
    return True


def _unfollow(user: User, **subject) -> bool:
    result = db.session.execute(sa.delete(Follow).where(
        Follow.user_id == user.id, *[getattr(Follow, k) == v for k, v in subject.items()]))
    if "campaign_id" in subject:
        followers_moved(subject["campaign_id"], -result.rowcount)
    return bool(result.rowcount)


def follow_campaign(user: User, campaign: Campaign) -> bool:
    if not campaign.is_public:
        raise DomainError(_("This campaign is not public."))
    if campaign.founder_id == user.id:
        raise DomainError(_("You cannot follow your own campaign."))
    return _follow(user, campaign_id=campaign.id)


def unfollow_campaign(user: User, campaign: Campaign) -> bool:
    return _unfollow(user, campaign_id=campaign.id)


def follow_founder(user: User, founder: User) -> bool:
    if founder.id == user.id:
        raise DomainError(_("You cannot follow yourself."))
    return _follow(user, founder_id=founder.id)


def unfollow_founder(user: User, founder: User) -> bool:
    return _unfollow(user, founder_id=founder.id)


def _follow_id(user: User, **subject) -> int | None:
    return db.session.scalar(sa.select(Follow.id).where(
        Follow.user_id == user.id, *[getattr(Follow, k) == v for k, v in subject.items()]))


def follows_campaign(user, campaign: Campaign) -> bool:
    return getattr(user, "is_authenticated", False) and _follow_id(
        user, campaign_id=campaign.id) is not None


def follows_founder(user, founder: User) -> bool:
    return getattr(user, "is_authenticated", False) and _follow_id(
        user, founder_id=founder.id) is not None


def follower_count(campaign: Campaign) -> int:
    """Kept as follows come and go (``community.counts``): one row, however many."""
    return counts_of(campaign.id)["followers"]


def campaign_followers(campaign: Campaign, *, exclude_backers: bool = True) -> list[User]:
    """Who follows ``campaign`` (without its backers, who hear about it as backers)."""
    stmt = sa.select(User).join(Follow, Follow.user_id == User.id).where(
        Follow.campaign_id == campaign.id)
    if exclude_backers:
        stmt = stmt.where(User.id.not_in(backer_ids(campaign.id)))
    return list(db.session.scalars(stmt.order_by(User.id)))


def founder_followers(founder: User) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(Follow, Follow.user_id == User.id)
                                   .where(Follow.founder_id == founder.id).order_by(User.id)))


def notify_launch(campaign: Campaign) -> int:
    """The founder's followers: a campaign of theirs is live."""
    return sum(emails.followed_founder_launched(campaign, user)
               for user in founder_followers(campaign.founder))


def notify_outcome(campaign: Campaign, funded: bool) -> int:
    return sum(emails.followed_campaign_outcome(campaign, user, funded)
               for user in campaign_followers(campaign))


def notify_ending_soon(now: datetime | None = None) -> int:
    """Live campaigns ending within ENDING_SOON_NOTICE: tell their followers, once."""
    now = now or utcnow()
    soon = now + current_app.config["ENDING_SOON_NOTICE"]
    campaigns = db.session.scalars(sa.select(Campaign).where(
        Campaign.status == CampaignStatus.LIVE, Campaign.deadline > now,
        Campaign.deadline <= soon, Campaign.id.in_(
            sa.select(Follow.campaign_id).where(Follow.campaign_id.is_not(None))))).all()
    return sum(each_isolated("ending soon notice", campaign_followers(campaign),
                             lambda user, c=campaign: emails.followed_campaign_ending(c, user))
               for campaign in campaigns)
