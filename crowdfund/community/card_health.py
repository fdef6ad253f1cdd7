"""Card health before the deadline: pledges whose saved card will not work when charged.

A card is valid to the end of its expiry month, so an active pledge is at risk when that
month is before the deadline's month, or when no card is saved on it. Each notice of
CARD_HEALTH_NOTICES (7 days and 48 hours before the deadline) is sent once per pledge, the
tightest that applies (a pledge first seen 30 hours before gets only the 48-hour one).
Services never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _, in_language_of
from crowdfund.notifications import emails
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.supervision import each_isolated


def _notice_name(offset: timedelta) -> str:
    hours = int(offset.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 and hours > 48 else f"{hours}h"


def at_risk_clause(deadline: datetime) -> sa.ColumnElement[bool]:
    """SQL: an active pledge whose card expires before ``deadline``'s month, or has none."""
    deadline_month = deadline.year * 12 + deadline.month
    return sa.and_(
        Pledge.status == PledgeStatus.ACTIVE,
        sa.or_(Pledge.payment_method_id.is_(None), Pledge.card_exp_year.is_(None),
               Pledge.card_exp_month.is_(None),
               Pledge.card_exp_year * 12 + Pledge.card_exp_month < deadline_month))


def at_risk(campaign: Campaign) -> list[Pledge]:
    """The campaign's active pledges that would fail at the deadline for their card."""
    if campaign.deadline is None:
        return []
    return list(db.session.scalars(sa.select(Pledge).where(
        Pledge.campaign_id == campaign.id, at_risk_clause(campaign.deadline))
        .order_by(Pledge.id)))


def reason_for(pledge: Pledge) -> str:
    """Why the pledge's (investment's) card will not work at the deadline, in the reader's
    language."""
    if not pledge.payment_method_id or not pledge.card_exp_year:
        if pledge.campaign.is_equity:
            return _("No working card is saved on your investment.")
        return _("No working card is saved on your pledge.")
    expiry = {"last4": pledge.card_last4, "month": f"{pledge.card_exp_month:02d}/"
              f"{pledge.card_exp_year}"}
    if pledge.card_brand_name:
        # TRANSLATORS: %(month)s is the expiry date as printed on the card ("02/2027")
        return _("Your %(brand)s ending %(last4)s expires at the end of %(month)s, before "
                 "then.", brand=pledge.card_brand_name, **expiry)
    # TRANSLATORS: %(month)s is the expiry date as printed on the card ("02/2027")
    return _("Your card ending %(last4)s expires at the end of %(month)s, before then.",
             **expiry)


def _remind(pledge: Pledge, offset: timedelta) -> bool:
    """One reminder, written in the backer's language and time zone."""
    with in_language_of(pledge.backer.locale, pledge.backer.timezone):
        return emails.card_health(pledge, _notice_name(offset), reason_for(pledge))


def remind_card_health(now: datetime | None = None) -> int:
    """Queue the due card reminders; returns how many were queued now."""
    now = now or utcnow()
    notices = sorted(current_app.config["CARD_HEALTH_NOTICES"])  # tightest first
    widest = notices[-1]
    campaigns = db.session.scalars(sa.select(Campaign).where(
        Campaign.status == CampaignStatus.LIVE, Campaign.deadline > now,
        Campaign.deadline <= now + widest)).all()
    queued = 0
    for campaign in campaigns:
        offset = next(o for o in notices if campaign.deadline <= now + o)
        queued += each_isolated(
            "card health reminder", at_risk(campaign),
            lambda pledge, offset=offset: _remind(pledge, offset))
    return queued
