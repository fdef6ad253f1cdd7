"""The campaign's updates page (``community.updates_page``, all of them a page at a time),
an update's own page (``community.update_page``: its permalink, linked from the
campaign's list of updates and from the update's email) and the comment form posted from
it. A backers-only update shows its number and date only to those who may not read it: a
sign-in prompt to a signed-out visitor, a short "for backers only" notice to anyone else
signed in; neither its title, its text nor its comments (docs/domain.md, "Community and
accountability")."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.web import public_campaign
from crowdfund.community import comments
from crowdfund.community.forms import CommentForm, ModerationForm, ReportForm
from crowdfund.community.models import CampaignUpdate
from crowdfund.community.routes import bp
from crowdfund.community.update_comments import may_read, threads_of_update, update_of
from crowdfund.community.updates import can_read, updates_of
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import MAX_INT
from crowdfund.i18n import _
from crowdfund.pagecache import public_page
from crowdfund.web import flash_error, form_error, int_arg


def _update(slug: str, update_id: int) -> tuple[Campaign, CampaignUpdate]:
    """The public campaign at ``slug`` and its update ``update_id``, or 404 (a draft or
    hidden campaign, another campaign's update)."""
    campaign = public_campaign(slug)
    update = update_of(campaign, update_id)
    if update is None:
        abort(404)
    return campaign, update


def _render(campaign: Campaign, update: CampaignUpdate, comment_form: CommentForm | None = None):
    signed_in = current_user.is_authenticated
    readable = may_read(current_user, update, campaign)
    threads = threads_of_update(
        update, before=int_arg("before", None, high=MAX_INT),
        removed_text=signed_in and current_user.is_operator) if readable else None
    forms = signed_in and readable
    return render_template(
        "community/update.html", campaign=campaign, update=update, readable=readable,
        threads=threads, on_update=update,
        comment_form=(comment_form or CommentForm()) if forms else None,
        report_form=ReportForm() if forms else None,
        moderation_form=ModerationForm() if forms else None)


@bp.get("/campaigns/<slug>/updates")
@public_page
def updates_page(slug: str):
    """Every update of the campaign, newest first, a page at a time (``?before=<number>``:
    the updates numbered below it). Backers-only ones show their number and date to
    who may not read them, as on the campaign page."""
    campaign = public_campaign(slug)
    per_page = current_app.config["UPDATES_PER_PAGE"]
    before = int_arg("before", None, high=MAX_INT)
    shown = updates_of(campaign, newest=per_page + 1, before=before)
    return render_template(
        "community/updates.html", campaign=campaign, updates=shown[:per_page],
        older=shown[per_page - 1].number if len(shown) > per_page else None,
        reads_backer_updates=can_read(current_user, campaign))


@bp.get("/campaigns/<slug>/updates/<int:update_id>")
@public_page
def update_page(slug: str, update_id: int):
    """The update and its comments (or, to who may not read it, that it is for backers)."""
    return _render(*_update(slug, update_id))


@bp.post("/campaigns/<slug>/updates/<int:update_id>/comments")
@login_required
def post_update_comment(slug: str, update_id: int):
    """A comment on the update, or a reply to one of its comments (no questions here: they
    are asked in the campaign's own conversation, where the founder answers them)."""
    campaign, update = _update(slug, update_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render(campaign, update, form), 400
    parent_id = form.parent_id.data
    try:
        comment = comments.post_comment(campaign, current_user, form.body.data,
                                        parent_id=parent_id, update=update)
    except DomainError as exc:
        db.session.rollback()
        form_error(form, exc)
        if not may_read(current_user, update, campaign):
            flash_error(exc)  # no form on the page it is shown next to
        return _render(campaign, update, form), exc.status_code
    db.session.commit()
    flash(_("Your reply is posted.") if parent_id else _("Your comment is posted."), "success")
    return redirect(url_for("community.update_page", slug=campaign.slug, update_id=update.id)
                    + f"#comment-{comment.id}")
