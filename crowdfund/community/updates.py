"""Posting updates and deciding who may read them. Services never commit."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.models import Campaign
from crowdfund.community.following import campaign_followers
from crowdfund.community.models import CampaignUpdate
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.totals import backer_ids


def is_backer(user, campaign: Campaign) -> bool:
    """Has (or had at the deadline) a pledge that counts: who backers-only updates are for."""
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(backer_ids(campaign.id).where(
        Pledge.backer_id == user.id).limit(1)) is not None


def can_read(user, campaign: Campaign) -> bool:
    """May ``user`` read the backers-only updates of ``campaign``?"""
    if getattr(user, "is_authenticated", False) and (
            user.is_operator or user.id == campaign.founder_id):
        return True
    return is_backer(user, campaign)


def updates_of(campaign: Campaign, *, newest: int | None = None,
               before: int | None = None) -> list[CampaignUpdate]:
    """The campaign's updates, newest first: all, or the ``newest`` few (numbered below
    ``before`` when given: a keyset, so a page costs the same at update 5 or 500).
    Updates are numbered 1, 2, 3... as posted, so the newest one's number is how many."""
    stmt = sa.select(CampaignUpdate).where(CampaignUpdate.campaign_id == campaign.id)
    if before is not None:
        stmt = stmt.where(CampaignUpdate.number < before)
    return list(db.session.scalars(stmt.order_by(CampaignUpdate.number.desc()).limit(newest)))


def post_update(campaign: Campaign, founder: User, title: str, body_md: str,
                visibility: str) -> CampaignUpdate:
    """Publish update number n+1 (``update_posted``: the backers are emailed, all of them:
    backers may read both kinds, and the followers a public one). Public updates are on
    the page for everyone."""
    require_founder(campaign, founder)
    if not campaign.is_public:
        raise DomainError(_("Updates can be posted once the campaign is live."))
    if visibility not in ("public", "backers"):
        raise DomainError(_("Choose who can read this update."), field="visibility")
    if not title.strip():
        raise DomainError(_("Give the update a title."), field="title")
    if len(body_md.strip()) < 20:
        raise DomainError(_("Write at least a few sentences (20 characters)."), field="body_md")
    lock(campaign)  # updates posted at once are numbered one after the other
    number = (db.session.scalar(sa.select(sa.func.max(CampaignUpdate.number)).where(
        CampaignUpdate.campaign_id == campaign.id)) or 0) + 1
    update = CampaignUpdate(campaign_id=campaign.id, number=number, title=title.strip(),
                            body_md=body_md.strip(), visibility=visibility,
                            author_id=founder.id)
    db.session.add(update)
    db.session.flush()
    events.update_posted.send(campaign, update=update)
    return update


def readers_to_tell(campaign: Campaign, update: CampaignUpdate) -> list[User]:
    """Who is emailed a new update: every backer, then the followers of a public one."""
    readers = list(db.session.scalars(sa.select(User).where(User.id.in_(
        backer_ids(campaign.id)))))
    if not update.backers_only:
        readers.extend(campaign_followers(campaign))
    return readers
