"""A founder's own: their campaigns (drafts too), backers a page at a time (no card data),
the numbers of the studio's insights, and posting an update. Another founder's campaign
does not exist here (404)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort
from flask.views import MethodView

from crowdfund.api import present
from crowdfund.api.core import PROBLEM_DOC, api_user, make_blueprint, requires
from crowdfund.api.schemas import PageQuerySchema
from crowdfund.api.schemas_me import (
    BackerListSchema,
    MyCampaignListSchema,
    StatsSchema,
    UpdateBodySchema,
    UpdateCreatedSchema,
)
from crowdfund.auth.api_tokens import Scope
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import founded_by
from crowdfund.community import charts
from crowdfund.community.updates import post_update
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.queries import backers_query
from crowdfund.pledges.totals import totals_for, totals_of

bp = make_blueprint("founder", "A founder's campaigns, backers, numbers and updates.",
                    "/me/campaigns")


def own_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.founder_id != api_user().id or campaign.is_deleted:
        abort(404)
    return campaign


@bp.route("")
class MyCampaigns(MethodView):
    @requires(Scope.FOUNDER)
    @bp.response(200, MyCampaignListSchema)
    def get(self):
        """The holder's campaigns, drafts included, latest changed first"""
        campaigns = founded_by(api_user())
        totals = totals_for(campaigns)
        return {"items": [present.campaign_summary(c, totals[c.id]) for c in campaigns]}


@bp.route("/<int:campaign_id>/backers")
class Backers(MethodView):
    @requires(Scope.FOUNDER)
    @bp.arguments(PageQuerySchema, location="query")
    @bp.response(200, BackerListSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    @bp.alt_response(404, description="Not one of the holder's campaigns", **PROBLEM_DOC)
    def get(self, args, campaign_id: int):
        """Backers, oldest pledge first, a page at a time (as the backers page lists them)"""
        campaign = own_campaign(campaign_id)
        stmt = backers_query(campaign).limit(args["limit"] + 1)
        if args.get("cursor"):
            after = present.decode_cursor(args["cursor"], "backers", (datetime, int))
            stmt = stmt.where(sa.tuple_(Pledge.created_at, Pledge.id) > tuple(after))
        rows = db.session.scalars(stmt).unique().all()
        more = len(rows) > args["limit"]
        rows = rows[:args["limit"]]
        return {"items": [_backer(p) for p in rows],
                "next_cursor": present.encode_cursor("backers", [rows[-1].created_at,
                                                                 rows[-1].id])
                if more else None}


def _backer(pledge: Pledge) -> dict:
    return {"pledge_id": str(pledge.id), "backer": present.person(pledge.backer),
            "email": pledge.backer.email, "status": pledge.status.value,
            "amount": present.money(pledge.amount),
            "reward_id": str(pledge.tier_id) if pledge.tier_id else None,
            "reward_title": pledge.tier.title if pledge.tier else None,
            "destination": pledge.destination,
            "add_ons": present.pledge_add_ons(pledge),
            "created_at": pledge.created_at}


@bp.route("/<int:campaign_id>/stats")
class Stats(MethodView):
    @requires(Scope.FOUNDER)
    @bp.response(200, StatsSchema)
    @bp.alt_response(404, description="Not one of the holder's campaigns", **PROBLEM_DOC)
    def get(self, campaign_id: int):
        """Totals, by reward, by source (``?ref=`` of shared links), pledges per day"""
        campaign = own_campaign(campaign_id)
        totals = totals_of(campaign)
        per_day = charts.pledges_per_day(campaign)

        def bars(chart) -> list[dict]:
            return [{"label": bar.label, "count": bar.count,
                     "amount": present.money(bar.amount)} for bar in chart.bars]

        return {"pledged": present.money(totals.pledged), "backers": totals.backers,
                "percent_funded": totals.percent_of(campaign.goal),
                "by_reward": bars(charts.by_tier(campaign)),
                "by_source": bars(charts.by_source(campaign)),
                "pledges_per_day": [{"date": d.day, "count": d.value}
                                    for d in (per_day.days if per_day else [])]}


@bp.route("/<int:campaign_id>/updates")
class PostUpdate(MethodView):
    @requires(Scope.FOUNDER)
    @bp.arguments(UpdateBodySchema)
    @bp.response(201, UpdateCreatedSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    @bp.alt_response(404, description="Not one of the holder's campaigns", **PROBLEM_DOC)
    def post(self, body, campaign_id: int):
        """Post an update: emailed to the backers (and to followers when public)"""
        campaign = own_campaign(campaign_id)
        try:
            update = post_update(campaign, api_user(), body["title"], body["body_markdown"],
                                 "backers" if body["backers_only"] else "public")
        except DomainError as exc:
            if exc.field == "body_md":
                exc.field = "body_markdown"
            raise
        answer = {"id": str(update.id), "number": update.number, "title": update.title,
                  "backers_only": update.visibility == "backers",
                  "published_at": update.published_at}
        db.session.commit()
        return answer, 201
