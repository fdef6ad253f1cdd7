"""The key investment information sheet of an EU issuer's offering, as a page people read
and print (``equity.kiis``; docs/investor-rules.md). Public like the offering page; a
campaign without a sheet (a reward campaign, an issuer outside the EU) has no such page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template

from crowdfund.campaigns import bp
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.campaigns.web import can_view
from crowdfund.equity import kiis
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.pagecache import public_page


@bp.get("/campaigns/<slug>/kiis")
@public_page
def kiis_page(slug: str):
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None or not can_view(campaign) or campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    offering = offering_of(campaign)
    if not kiis.applies(offering):
        abort(404)
    return render_template("equity/kiis.html", campaign=campaign, sheet=kiis.build(offering))
