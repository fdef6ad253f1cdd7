"""Operators' community console: reported campaigns (closed with a note of what was done),
reported comments (hide, restore, dismiss, with the comment's audit trail) and late reward
deliveries."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.campaigns.models import Campaign
from crowdfund.community import comments, reports
from crowdfund.community.delivery import late_deliveries
from crowdfund.community.forms import ModerationForm
from crowdfund.community.models import Comment
from crowdfund.extensions import db
from crowdfund.i18n import _, ngettext
from crowdfund.operators import bp
from crowdfund.web import is_safe_next, run_action


@bp.get("/community")
def community():
    show_all = request.args.get("all") == "1"
    return render_template("operators/community.html",
                           queue=comments.moderation_queue(include_resolved=show_all),
                           campaigns=reports.campaign_queue(include_resolved=show_all),
                           show_all=show_all, late=late_deliveries(),
                           history=comments.history_of, form=ModerationForm())


@bp.post("/campaigns/<int:campaign_id>/reports/close")
def close_campaign_reports(campaign_id: int):
    """Close a campaign's open reports, saying what was done (kept with each report)."""
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    form = ModerationForm()
    if not form.validate_on_submit():
        flash(_("The note is too long."), "error")
    else:
        run_action(lambda: reports.resolve_campaign_reports(campaign, current_user,
                                                            form.reason.data or ""),
                   lambda closed: ngettext("%(num)s report on %(title)s closed.",
                                           "%(num)s reports on %(title)s closed.", closed,
                                           title=campaign.title))
    return redirect(url_for("operators.community"))


@bp.post("/comments/<int:comment_id>/<any(hide, restore, dismiss):action>")
def moderate(comment_id: int, action: str):
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    form = ModerationForm()
    if not form.validate_on_submit():
        flash(_("The reason is too long."), "error")
    else:
        reason = form.reason.data or ""
        if action == "hide":
            run_action(lambda: comments.hide(comment, current_user, reason),
                       _("The comment is hidden; the reason is shown in its place."))
        elif action == "restore":
            run_action(lambda: comments.restore(comment, current_user, reason),
                       _("The comment is visible again."))
        else:
            run_action(lambda: comments.dismiss_reports(comment, current_user),
                       _("The reports are dismissed; the comment stays."))
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("operators.community"))
