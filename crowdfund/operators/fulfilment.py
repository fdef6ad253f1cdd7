"""Operators read a campaign's surveys as its founder does (progress, questions, the
fulfilment CSV with the addresses): to help a backer or a founder with a delivery."""

from __future__ import annotations

from flask import abort

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.extensions import db
from crowdfund.fulfilment.studio import fulfilment_csv_of, fulfilment_page
from crowdfund.operators import bp


def _reward_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.kind is not CampaignKind.REWARD:
        abort(404)
    return campaign


@bp.get("/campaigns/<int:campaign_id>/fulfilment")
def fulfilment(campaign_id: int):
    return fulfilment_page(_reward_campaign(campaign_id),
                           template="operators/fulfilment.html")


@bp.get("/campaigns/<int:campaign_id>/fulfilment.csv")
def fulfilment_csv(campaign_id: int):
    return fulfilment_csv_of(_reward_campaign(campaign_id))
