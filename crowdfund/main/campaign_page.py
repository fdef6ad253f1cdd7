"""The public campaign page (``campaigns.show``), composed of what every feature knows
about a campaign: its totals and outcome, the viewer's pledge, the offering, updates,
delivery, comments and follows. The comment form posted from it (``community.post_comment``)
and the founder's preview (``studio.preview``) render it too, so they are served here."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, render_template
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from crowdfund import memo
from crowdfund.auth.models import User
from crowdfund.campaigns import bp, studio_bp
from crowdfund.campaigns.faq import faq_of
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.sharing import share_links, share_url
from crowdfund.campaigns.states import CampaignKind
from crowdfund.campaigns.web import can_view, own_campaign, public_campaign, remember_ref
from crowdfund.community import charts, comments, following
from crowdfund.community.comments import shown_threads, threads_of, threads_stamp_columns
from crowdfund.community.delivery import FUNDED_STATUSES, delivery_of, spending_of
from crowdfund.community.forms import CommentForm, ModerationForm, ReportForm
from crowdfund.community.models import Follow
from crowdfund.community.routes import back_to_comment
from crowdfund.community.routes import bp as community_bp
from crowdfund.community.updates import can_read, updates_of
from crowdfund.equity.services import documents_of, financial_review_level, offering_of
from crowdfund.equity.standing import standing_of
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.pagecache import public_page
from crowdfund.pledges.late import late_window_ends, late_window_open
from crowdfund.pledges.models import OPEN_STATUSES, Pledge, PledgeStatus
from crowdfund.pledges.totals import shown_totals_of
from crowdfund.settlement.outcome import outcome_of
from crowdfund.web import form_error


@dataclass(frozen=True)
class Viewer:
    """What the campaign page needs to know about the person looking at it, read in one
    query: their open pledge, whether they follow the campaign, and the stamp of its
    comments (``comments.threads_stamp_columns``, for the shared threads)."""

    pledge: Pledge | None
    following: bool
    comments: tuple


@functools.cache
def _viewer_statements() -> tuple[sa.Select, sa.Select]:
    """The two forms of the viewer query (anonymous, signed in), built once: with bound
    parameters ``campaign`` and ``user``."""

    campaign, user = sa.bindparam("campaign"), sa.bindparam("user")
    stamp = threads_stamp_columns(campaign)
    follows = sa.exists().where(Follow.user_id == user, Follow.campaign_id == campaign)
    signed_in = (sa.select(Pledge, follows, *stamp).select_from(Campaign)
                 .outerjoin(Pledge, sa.and_(Pledge.campaign_id == Campaign.id,
                                            Pledge.backer_id == user,
                                            Pledge.status.in_(OPEN_STATUSES)))
                 .where(Campaign.id == campaign))
    return sa.select(*stamp), signed_in


def viewer_of(campaign: Campaign) -> Viewer:
    anonymous, signed_in = _viewer_statements()
    if not current_user.is_authenticated:
        return Viewer(None, False, tuple(db.session.execute(
            anonymous, {"campaign": campaign.id}).one()))
    row = db.session.execute(signed_in, {"campaign": campaign.id,
                                         "user": current_user.id}).one()
    return Viewer(row[0], bool(row[1]), tuple(row[2:]))


def render_campaign_page(campaign: Campaign, *, preview: bool = False, comment_form=None):
    viewer = viewer_of(campaign)
    pledge = viewer.pledge
    my_pledge = pledge if pledge is not None and pledge.status is PledgeStatus.ACTIVE else None
    offering = standing = None
    if campaign.kind is CampaignKind.EQUITY:
        offering = offering_of(campaign)
        if current_user.is_authenticated and offering is not None:
            standing = standing_of(current_user, offering)
    # An active pledge makes a backer: no second look-up for the most common reader.
    reads_backer_updates = my_pledge is not None or can_read(current_user, campaign)
    outcome = outcome_of(campaign)
    shared = share_url(campaign, current_user) if campaign.is_public and not preview else ""
    body, tiers = page_parts(campaign, preview=preview, my_pledge=my_pledge, outcome=outcome,
                             offering=offering, reads_backer_updates=reads_backer_updates)
    return render_template("campaigns/show.html", campaign=campaign,
                           totals=shown_totals_of(campaign), body=body, tiers=tiers,
                           comments=None if preview else comments_part(
                               campaign, viewer.comments, comment_form),
                           following=viewer.following,
                           followers=memo.shown(("followers", campaign.id),
                                                lambda: following.follower_count(campaign)),
                           outcome=outcome, preview=preview, my_pledge=my_pledge,
                           late_ends=late_window_ends(campaign)
                           if late_window_open(campaign) else None,
                           offering=offering, standing=standing, share_url=shared,
                           share_links=share_links(campaign, shared) if shared else [])


def comments_part(campaign: Campaign, stamp: tuple, comment_form=None) -> Markup:
    """The newest threads with the comment form, rendered. Anonymous visitors get the page
    cache; signed-in readers share it for PAGE_CACHE_SECONDS per process, apart from their
    CSRF token and the comments they wrote (no "Report" on those), until a comment is
    posted. A form sent back with errors, the founder and operators get it fresh."""
    signed_in = current_user.is_authenticated
    newest = current_app.config["COMMENT_THREADS_ON_CAMPAIGN_PAGE"]

    def render(threads) -> str:
        return render_template(
            "campaigns/_comments.html", campaign=campaign, threads=threads,
            comment_form=comment_form or (CommentForm() if signed_in else None),
            report_form=ReportForm() if signed_in else None,
            moderation_form=ModerationForm() if signed_in else None)

    if _insider(campaign):  # operators read what deleted comments said
        return Markup(render(threads_of(  # noqa: S704
            campaign, per_page=newest, removed_text=current_user.is_operator)))
    threads = shown_threads(campaign, newest, stamp)
    if not signed_in or comment_form is not None:
        return Markup(render(threads))  # noqa: S704 - autoescaped template output
    mine = frozenset(c.id for t in threads.items for c in (t.comment, *t.replies)
                     if c.author_id == current_user.id)
    return memo.shown_with_forms(("comments part", campaign.id, newest, stamp, mine),
                                 lambda: render(threads))


def _insider(campaign: Campaign) -> bool:
    """The founder or an operator: they see their changes at once, never a shared part."""
    return current_user.is_authenticated and (
        current_user.is_operator or current_user.id == campaign.founder_id)


def page_parts(campaign: Campaign, *, preview: bool, my_pledge, outcome, offering,
               reads_backer_updates: bool) -> tuple[Markup, Markup]:
    """The campaign page's middle (story, FAQ, chart, terms, budget, delivery, spending,
    updates, risks) and its rewards column, rendered. They depend on the campaign and
    two facts about the viewer (reads backers-only updates; backs it already), so a public
    page shares them between viewers for PAGE_CACHE_SECONDS per process (with their
    queries); an edit of the campaign shows at once (its ``updated_at`` is in the key).
    Previews, the founder and operators always get them fresh."""
    def render() -> tuple[Markup, Markup]:
        funded = campaign.status in FUNDED_STATUSES
        deliveries = delivery_of(campaign) if funded else []
        documents = review_level = None
        if offering is not None:
            documents = documents_of(offering)
            review_level = financial_review_level(offering.maximum)
        body = render_template(
            "campaigns/_body.html", campaign=campaign, outcome=outcome, offering=offering,
            documents=documents, review_level=review_level,
            funding_chart=charts.funding_chart(campaign) if campaign.is_public else None,
            deliveries=deliveries, spending=spending_of(campaign) if funded else None,
            faq=faq_of(campaign),
            updates=updates_of(campaign, newest=current_app.config["UPDATES_ON_CAMPAIGN_PAGE"]),
            reads_backer_updates=reads_backer_updates)
        tiers = render_template("campaigns/_tiers.html", campaign=campaign,
                                deliveries=deliveries, my_pledge=my_pledge, preview=preview)
        return Markup(body), Markup(tiers)  # noqa: S704 - autoescaped templates' output

    if preview or _insider(campaign) or not campaign.is_public:
        return render()
    return memo.shown(("campaign page parts", campaign.id, campaign.updated_at,
                       reads_backer_updates, my_pledge is not None), render)


@bp.get("/campaigns/<slug>")
@public_page
def show(slug: str):
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug).options(
        joinedload(Campaign.founder).joinedload(User.verification)))  # for the founder box
    if campaign is None or not can_view(campaign):
        abort(404)
    remember_ref(campaign)
    return render_campaign_page(campaign, preview=not campaign.is_public)


@community_bp.post("/campaigns/<slug>/comments")
@login_required
def post_comment(slug: str):
    campaign = public_campaign(slug)
    form = CommentForm()
    if form.validate_on_submit():
        parent_id = form.parent_id.data
        try:
            comment = comments.post_comment(campaign, current_user, form.body.data,
                                            kind=form.kind.data or "comment",
                                            parent_id=parent_id)
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
            return render_campaign_page(campaign, comment_form=form), exc.status_code
        db.session.commit()
        flash(_("Your reply is posted.") if parent_id else _("Your comment is posted."),
              "success")
        return back_to_comment(comment)
    return render_campaign_page(campaign, comment_form=form), 400


@studio_bp.get("/<int:campaign_id>/preview")
def preview(campaign_id: int):
    return render_campaign_page(own_campaign(campaign_id), preview=True)
