"""A founder's campaigns in their archive; a campaign under way keeps the account open
(its backers are owed a founder); on closing, drafts are deleted and ended campaigns stay
public under the closed account."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.services import delete_draft
from crowdfund.campaigns.states import EDITABLE_STATUSES, CampaignStatus
from crowdfund.extensions import db
from crowdfund.i18n import _, _l

S = CampaignStatus
UNDER_WAY = (S.SUBMITTED, S.APPROVED, S.LIVE, S.FUNDED, S.COLLECTING)


def register() -> None:
    privacy.exports("campaigns")(export)
    privacy.blocks(blockers)
    privacy.explains(consequences)
    privacy.erases("campaigns", kept=(
        _l("Campaigns you ran, with their updates"),
        _l("backers keep the page of what they paid for; it shows a closed account as its "
           "founder")))(erase)


def _mine(user: User) -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(Campaign.founder_id == user.id,
                                                             Campaign.status != S.DELETED)))


def export(user: User) -> list[dict]:
    return [{c: privacy.plain(getattr(row, c)) for c in (
        "id", "title", "slug", "status", "kind", "funding_model", "goal_minor", "currency",
        "created_at", "launched_at", "deadline")} for row in _mine(user)]


def blockers(user: User) -> list[str]:
    return [_("%(title)s is %(status)s: withdraw or cancel it, or close your account once it "
              "is settled (its backers must be able to reach you).", title=c.title,
              status=c.status_label.lower())
            for c in _mine(user) if c.status in UNDER_WAY]


def consequences(user: User) -> list[str]:
    return [_("Your draft %(title)s is deleted.", title=c.title) for c in _mine(user)
            if c.status in EDITABLE_STATUSES]


def erase(user: User) -> None:
    for campaign in _mine(user):
        if campaign.status in EDITABLE_STATUSES:
            delete_draft(campaign, user)
