"""Public reads: campaigns, one campaign with its rewards, budget, updates, comments, the
funding series, the offering's terms. No token needed; cached by clients and proxies for
a short time (``Cache-Control: public``) and answered 304 to a matching ``If-None-Match``.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort
from flask.views import MethodView

from crowdfund import memo
from crowdfund.api import present
from crowdfund.api.core import PROBLEM_DOC, make_blueprint, public_for
from crowdfund.api.schemas import (
    BudgetSchema,
    CampaignListSchema,
    CampaignQuerySchema,
    CampaignSchema,
    PageQuerySchema,
    SeriesSchema,
    ThreadListSchema,
    UpdateListSchema,
)
from crowdfund.campaigns.faq import faq_of
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.community import charts, following
from crowdfund.community.comments import threads_of
from crowdfund.community.updates import updates_of
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.main.queries import discover_after
from crowdfund.pledges import add_ons
from crowdfund.pledges.totals import shown_totals_for, shown_totals_of

bp = make_blueprint("public", "Campaigns and what anyone may read of them.")

#: Seconds a public answer may be kept by a client or a proxy.
LIST_SECONDS, ONE_SECONDS = 15, 30
#: The cursor values of each sort of the campaign list (main.queries.discover_after).
SORT_TYPES = {"newest": (datetime, int), "ending": (datetime, int),
              "funded": (int, datetime, int)}
KINDS = {"reward": CampaignKind.REWARD, "equity": CampaignKind.EQUITY}


def public_campaign(campaign_id: int) -> Campaign:
    """A campaign anyone may see (live or ended), or 404."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not campaign.is_public:
        abort(404)
    return campaign


@bp.route("/campaigns")
class Campaigns(MethodView):
    @bp.arguments(CampaignQuerySchema, location="query")
    @bp.response(200, CampaignListSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    def get(self, args):
        """Campaigns, filtered and sorted, a page at a time

        ``status``: live (default), funded, or ended (funded or not); ``sort``: newest,
        ending (soonest deadline first) or funded (highest percentage of goal). Follow
        ``next_cursor`` for the next page."""
        sort = args["sort"]
        after = (present.decode_cursor(args["cursor"], sort, SORT_TYPES[sort])
                 if args.get("cursor") else None)
        campaigns, last = discover_after(
            q=args.get("q"), category=args.get("category"), sort=sort,
            kind=KINDS.get(args.get("kind", "")), stage=args["status"], after=after,
            limit=args["limit"])
        totals = shown_totals_for(campaigns)
        public_for(LIST_SECONDS)
        return {"items": [present.campaign_summary(c, totals[c.id]) for c in campaigns],
                "next_cursor": present.encode_cursor(sort, last) if last else None}


@bp.route("/campaigns/<int:campaign_id>")
class OneCampaign(MethodView):
    @bp.response(200, CampaignSchema)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def get(self, campaign_id: int):
        """One campaign with its rewards (units left), add-ons and, for an equity
        offering, its terms"""
        campaign = public_campaign(campaign_id)
        body = present.campaign_summary(campaign, shown_totals_of(campaign))
        offering = offering_of(campaign) if campaign.kind is CampaignKind.EQUITY else None
        body.update(
            story_html=present.html(campaign.description_md),
            risks_html=present.html(campaign.risks_md),
            followers=memo.shown(("followers", campaign.id),
                                 lambda: following.follower_count(campaign)),
            tiers=[present.tier(t) for t in campaign.tiers],
            add_ons=[present.add_on(a, campaign.currency) for a in add_ons.offered(campaign)],
            faq=[{"question": e.question, "answer_html": present.html(e.answer_md)}
                 for e in faq_of(campaign)],
            offering=present.offering(offering, campaign.goal) if offering else None)
        public_for(ONE_SECONDS)
        return body


@bp.route("/campaigns/<int:campaign_id>/budget")
class Budget(MethodView):
    @bp.response(200, BudgetSchema)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def get(self, campaign_id: int):
        """How the founder plans to spend what is raised"""
        campaign = public_campaign(campaign_id)
        public_for(ONE_SECONDS)
        return {"lines": [{"label": line.label, "amount": present.money(line.amount)}
                          for line in campaign.budget_lines],
                "total": present.money(campaign.budget_total)}


@bp.route("/campaigns/<int:campaign_id>/updates")
class Updates(MethodView):
    @bp.response(200, UpdateListSchema)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def get(self, campaign_id: int):
        """The founder's public updates, newest first"""
        campaign = public_campaign(campaign_id)
        public_for(ONE_SECONDS)
        return {"items": [
            {"id": str(u.id), "number": u.number, "title": u.title,
             "body_html": present.html(u.body_md), "backers_only": False,
             "published_at": u.published_at}
            for u in updates_of(campaign) if u.visibility == "public"]}


@bp.route("/campaigns/<int:campaign_id>/comments")
class Comments(MethodView):
    @bp.arguments(PageQuerySchema, location="query")
    @bp.response(200, ThreadListSchema)
    @bp.alt_response(400, description="Refused: the reason in detail, the field in errors",
                     **PROBLEM_DOC)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def get(self, args, campaign_id: int):
        """Comments and questions, newest thread first, each with its replies"""
        campaign = public_campaign(campaign_id)
        before = (present.decode_cursor(args["cursor"], "comments", (datetime, int))
                  if args.get("cursor") else None)
        threads = threads_of(campaign, per_page=args["limit"], before=tuple(before)
                             if before else None)
        items = threads.items
        public_for(LIST_SECONDS)
        last = items[-1].comment if len(items) == args["limit"] else None
        return {"items": [_thread(t, threads.backers, campaign) for t in items],
                "next_cursor": present.encode_cursor("comments", [last.created_at, last.id])
                if last else None}


def _comment(view, backers: set[int], campaign: Campaign) -> dict:
    removed = view.is_deleted or view.is_hidden or view.is_erased
    return {"id": str(view.id), "kind": view.kind,
            "author": None if view.is_erased else {"id": str(view.author_id),
                                                   "display_name": view.author.display_name},
            "author_is_backer": view.author_id in backers,
            "author_is_founder": view.author_id == campaign.founder_id,
            "body": None if removed else view.body, "created_at": view.created_at}


def _thread(thread, backers: set[int], campaign: Campaign) -> dict:
    return {**_comment(thread.comment, backers, campaign),
            "replies": [_comment(r, backers, campaign) for r in thread.replies]}


@bp.route("/campaigns/<int:campaign_id>/series")
class Series(MethodView):
    @bp.response(200, SeriesSchema)
    @bp.alt_response(404, description="No such public campaign", **PROBLEM_DOC)
    def get(self, campaign_id: int):
        """Pledged per day and the running total, for charts"""
        campaign = public_campaign(campaign_id)
        chart = charts.funding_chart(campaign)
        public_for(ONE_SECONDS)
        return {"currency": campaign.currency, "goal_minor": campaign.goal_minor,
                "days": [{"date": d.day, "amount_minor": d.value, "total_minor": d.total}
                         for d in (chart.days if chart else [])]}
