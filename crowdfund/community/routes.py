"""Backers' side of the community: comments (and deleting one's own), reports of comments
and campaigns, following, receipt of rewards."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import public_campaigns_of
from crowdfund.campaigns.web import public_campaign
from crowdfund.community import comments, following, reports
from crowdfund.community.delivery import FUNDED_STATUSES, confirm_receipt, delivery_of
from crowdfund.community.following import follows_founder
from crowdfund.community.forms import CommentForm, ModerationForm, ReportForm
from crowdfund.community.models import Comment
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.pagecache import public_page
from crowdfund.pledges.routes import own_pledge
from crowdfund.pledges.totals import shown_totals_for
from crowdfund.web import MAX_PAGE, int_arg, run_action

bp = Blueprint("community", __name__)


def _back_to(campaign: Campaign, anchor: str = "comments"):
    return redirect(url_for("campaigns.show", slug=campaign.slug) + f"#{anchor}")


def back_to_comment(comment: Comment):
    """Where the comment shows: its update's page, the campaign page (newest threads) or
    its comments page."""
    if comment.update_id is not None:
        return redirect(url_for("community.update_page", slug=comment.campaign.slug,
                                update_id=comment.update_id) + f"#comment-{comment.id}")
    page = comments.page_of(comment)
    if page is None:
        return _back_to(comment.campaign, f"comment-{comment.id}")
    return redirect(url_for("community.comments_page", slug=comment.campaign.slug, page=page)
                    + f"#comment-{comment.id}")


@bp.get("/campaigns/<slug>/comments")
@public_page
def comments_page(slug: str):
    """Every thread of a campaign, newest first, a page at a time."""
    campaign = public_campaign(slug)
    signed_in = current_user.is_authenticated
    return render_template(
        "campaigns/comments.html", campaign=campaign, comments_page=True,
        threads=comments.threads_of(campaign, page=int_arg("page", 1, high=MAX_PAGE),
                                    removed_text=signed_in and current_user.is_operator),
        comment_form=CommentForm() if signed_in else None,
        report_form=ReportForm() if signed_in else None,
        moderation_form=ModerationForm() if signed_in else None)


@bp.post("/comments/<int:comment_id>/report")
@login_required
def report(comment_id: int):
    comment = db.session.get(Comment, comment_id)
    if comment is None or not comment.campaign.is_public:
        abort(404)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(_("Tell us what is wrong with the comment."), "error")
    else:
        run_action(lambda: comments.report(comment, current_user, form.reason.data),
                   _("Thank you: our moderators will look at it."))
    return back_to_comment(comment)


@bp.post("/campaigns/<slug>/report")
@login_required
def report_campaign(slug: str):
    """"Report this campaign": to the operators' Community queue, with the reason."""
    campaign = public_campaign(slug)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(_("Tell us what is wrong with the campaign."), "error")
    else:
        run_action(lambda: reports.report_campaign(campaign, current_user, form.reason.data),
                   _("Thank you: our operators will look at this campaign."))
    return _back_to(campaign, "report")


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    """The author deletes their comment (after a confirmation); anyone else: 403."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not comment.campaign.is_public:
        abort(404)
    if comment.author_id != current_user.id:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: comments.delete_own(comment, current_user),
               _("Your comment is deleted: it no longer shows on the page."))
    return back_to_comment(comment)


@bp.post("/campaigns/<slug>/<any(follow, unfollow):action>")
@login_required
def follow_campaign(slug: str, action: str):
    campaign = public_campaign(slug)
    if action == "follow":
        run_action(lambda: following.follow_campaign(current_user, campaign),
                   _("You follow this campaign: we will email you its public updates, "
                     "48 hours before it ends, and its result."))
    else:
        run_action(lambda: following.unfollow_campaign(current_user, campaign),
                   _("You no longer follow this campaign."))
    return _back_to(campaign, "follow")


@bp.post("/founders/<int:user_id>/<any(follow, unfollow):action>")
@login_required
def follow_founder(user_id: int, action: str):
    founder = db.session.get(User, user_id)
    if founder is None:
        abort(404)
    if action == "follow":
        run_action(lambda: following.follow_founder(current_user, founder),
                   _("You follow %(name)s: we will email you when they launch a campaign.",
                     name=founder.display_name))
    else:
        run_action(lambda: following.unfollow_founder(current_user, founder),
                   _("You no longer follow %(name)s.", name=founder.display_name))
    return redirect(url_for("community.founder", user_id=founder.id))


@bp.get("/founders/<int:user_id>")
@public_page
def founder(user_id: int):
    """A founder's public page: their campaigns, what they delivered, a follow button."""
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    campaigns = public_campaigns_of(person)
    if not campaigns and not (current_user.is_authenticated and current_user.id == person.id):
        abort(404)  # people who have launched nothing have no public page
    deliveries = {c.id: delivery_of(c) for c in campaigns if c.status in FUNDED_STATUSES}
    return render_template("community/founder.html", person=person, campaigns=campaigns,
                           totals=shown_totals_for(campaigns), deliveries=deliveries,
                           following=follows_founder(current_user, person),
                           form=ConfirmForm() if current_user.is_authenticated else None)


@bp.post("/pledges/<int:pledge_id>/received")
@login_required
def received(pledge_id: int):
    """The backer confirms the reward arrived (counted on the campaign's delivery table)."""
    pledge = own_pledge(pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: confirm_receipt(pledge, current_user),
               _("Thank you for letting the founder know it arrived."))
    return redirect(url_for("pledges.show", pledge_id=pledge.id))
