"""The public campaign page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user

from crowdfund.campaigns import bp
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import collected_of, totals_of
from crowdfund.extensions import db


def can_view(campaign: Campaign) -> bool:
    """Public once live; before that only its founder and operators see it."""
    if campaign.is_public:
        return True
    if not current_user.is_authenticated:
        return False
    return current_user.is_operator or current_user.id == campaign.founder_id


def render_campaign_page(campaign: Campaign, *, preview: bool = False):
    from crowdfund.pledges.services import open_pledge_of

    my_pledge = None
    if current_user.is_authenticated:
        pledge = open_pledge_of(current_user, campaign)
        my_pledge = pledge if pledge is not None and pledge.status.value == "active" else None
    collected = collected_of(campaign) if campaign.pledged_at_deadline_minor is not None else None
    offering = investor_limit = None
    documents = []
    if campaign.kind.value == "equity":
        from crowdfund.equity.investors import limit_of
        from crowdfund.equity.services import documents_of, financial_review_level, offering_of

        offering = offering_of(campaign)
        documents = documents_of(offering)
        if current_user.is_authenticated:
            investor_limit = limit_of(current_user)
    from crowdfund.community.updates import can_read, updates_of

    return render_template("campaigns/show.html", campaign=campaign, totals=totals_of(campaign),
                           updates=updates_of(campaign),
                           reads_backer_updates=can_read(current_user, campaign),
                           preview=preview, my_pledge=my_pledge, collected=collected,
                           offering=offering, investor_limit=investor_limit,
                           documents=documents,
                           review_level=offering and financial_review_level(offering.maximum))


@bp.get("/campaigns/<slug>")
def show(slug: str):
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None or not can_view(campaign):
        abort(404)
    return render_campaign_page(campaign, preview=not campaign.is_public)
