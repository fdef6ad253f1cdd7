"""Drafts: the founder's campaigns, a new draft, its story and overview; submit, launch,
cancel."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.campaigns import services, studio_bp
from crowdfund.campaigns.forms import (
    CampaignDraftForm,
    CampaignStoryForm,
    NewCampaignForm,
    ReasonForm,
)
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import founded_by
from crowdfund.campaigns.states import CampaignKind, FundingModel
from crowdfund.campaigns.web import own_campaign
from crowdfund.community.card_health import at_risk
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _, _l, ngettext
from crowdfund.pledges.late import late_totals
from crowdfund.pledges.totals import totals_for, totals_of
from crowdfund.uploads import (
    UploadError,
    delete_upload,
    pending_key,
    pending_token,
    save_image,
)
from crowdfund.web import (
    flash_error,
    form_error,
    form_status,
    run_action,
)


@studio_bp.get("/")
def index():
    campaigns = founded_by(current_user)
    return render_template("studio/index.html", campaigns=campaigns,
                           totals=totals_for(campaigns))


@studio_bp.route("/new", methods=["GET", "POST"])
def new():
    form = NewCampaignForm()
    if form.validate_on_submit():
        goal = form.goal.money_in(form.currency.data)
        if goal is not None:
            try:
                campaign = services.create_campaign(
                    current_user,
                    title=form.title.data,
                    kind=CampaignKind(form.kind.data),
                    category=form.category.data,
                    goal=goal,
                    duration_days=form.duration_days.data,
                    funding_model=form.chosen_funding_model or FundingModel.ALL_OR_NOTHING,
                )
            except DomainError as exc:
                db.session.rollback()
                form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Your draft is saved. Tell its story next."), "success")
                return redirect(url_for("studio.edit", campaign_id=campaign.id))
    return render_template("studio/new.html", form=form), form_status(form)


@studio_bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    campaign = own_campaign(campaign_id)
    if not campaign.can_edit_story:
        flash(_("This campaign is %(status)s and cannot be edited now.",
                status=campaign.status_label.lower()), "info")
        return redirect(url_for("studio.overview", campaign_id=campaign.id))
    form_cls = CampaignStoryForm if campaign.is_locked else CampaignDraftForm
    form = form_cls(obj=campaign)
    if request.method == "GET" and not campaign.is_locked:
        form.goal.data = campaign.goal.to_decimal()
    valid = form.validate_on_submit()
    cover = _chosen_cover(form) if request.method == "POST" else None
    fields = _story_fields(form, campaign) if valid and not form.cover.errors else None
    if fields is not None:
        try:
            old_cover = services.save_story(campaign, current_user, fields[0], cover=cover,
                                            **fields[1])
        except DomainError as exc:
            db.session.rollback()
            form_error(form, exc)
        else:
            db.session.commit()
            if old_cover != cover:
                delete_upload(old_cover)
            flash(_("Saved."), "success")
            return redirect(url_for("studio.edit", campaign_id=campaign_id))
    return render_template("studio/edit.html", form=form, campaign=campaign,
                           kept_cover=cover), form_status(form)


def _story_fields(form: CampaignStoryForm, campaign: Campaign) -> tuple[services.Story,
                                                                        dict] | None:
    """The story and (before launch) the goal, length, address and launch time as typed
    (the launch time on the founder's clock, given to the service in UTC); None when the
    goal does not fit its currency (the error is on the field)."""
    story = services.Story(
        title=form.title.data, blurb=form.blurb.data or "", category=form.category.data,
        description_md=form.description_md.data or "", risks_md=form.risks_md.data or "",
    )
    if campaign.is_locked:
        return story, {}
    goal = form.goal.money_in(form.currency.data)
    if goal is None:
        return None
    return story, dict(
        slug=form.slug.data.strip(), goal=goal, duration_days=form.duration_days.data,
        scheduled_launch_at=form.scheduled_launch_at.data,
        funding_model=form.chosen_funding_model,
    )


def _chosen_cover(form: CampaignStoryForm) -> str | None:
    """The cover of this attempt. A new file is checked and stored at once and kept in the
    form (signed), so that an error on another field does not make the founder choose it
    again; without a new file, the one kept from the last attempt (if any)."""
    kept = pending_key(form.kept_cover.data, current_user.id, "covers")
    if form.cover.data and not form.cover.errors:
        try:
            chosen = save_image(
                form.cover.data, "covers",
                max_bytes=current_app.config["COVER_MAX_BYTES"],
                max_size=current_app.config["COVER_MAX_SIZE"],
                min_size=current_app.config["COVER_MIN_SIZE"],
                aspect=current_app.config["COVER_ASPECT"],
            )
        except UploadError as exc:
            form.cover.errors = [*form.cover.errors, str(exc)]
        else:
            # Kept whatever happens to the rest of the form: committed now (the database
            # storage writes in this transaction, which a refused form rolls back).
            db.session.commit()
            if kept and kept != chosen:
                delete_upload(kept)  # chosen before, replaced before it was ever used
            kept = chosen
    form.kept_cover.data = pending_token(kept, current_user.id) if kept else ""
    return kept


@studio_bp.get("/<int:campaign_id>")
def overview(campaign_id: int):
    campaign = own_campaign(campaign_id)
    return render_template(
        "studio/overview.html", campaign=campaign, checklist=services.readiness(campaign),
        totals=totals_of(campaign), confirm=ConfirmForm(), cancel_form=ReasonForm(),
        at_risk_count=len(at_risk(campaign)) if campaign.is_live else 0,
        late=late_totals(campaign) if campaign.pledged_at_deadline_minor is not None else None,
    )


_ACTIONS = {
    "submit": (services.submit, _l("Submitted for review. An operator will look at it soon.")),
    "withdraw": (services.withdraw, _l("Withdrawn from review: you can edit it again.")),
    "launch": (services.launch, _l("Your campaign is live!")),
}


@studio_bp.post("/<int:campaign_id>/<any(submit, withdraw, launch):action>")
def change_state(campaign_id: int, action: str):
    campaign = own_campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service, message = _ACTIONS[action]
    run_action(lambda: service(campaign, current_user), message)
    return redirect(url_for("studio.overview", campaign_id=campaign.id))


@studio_bp.post("/<int:campaign_id>/delete")
def delete(campaign_id: int):
    campaign = own_campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = campaign.title
    try:
        cover = services.delete_draft(campaign, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash_error(exc)
        return redirect(url_for("studio.overview", campaign_id=campaign.id))
    db.session.commit()
    delete_upload(cover)
    flash(_("“%(title)s” is deleted.", title=title), "info")
    return redirect(url_for("studio.index"))


@studio_bp.post("/<int:campaign_id>/cancel")
def cancel(campaign_id: int):
    campaign = own_campaign(campaign_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason (at least 5 characters) to cancel."), "error")
        return redirect(url_for("studio.overview", campaign_id=campaign.id))
    run_action(lambda: services.cancel(campaign, current_user, form.reason.data),
               lambda released: ngettext(
                   "Campaign cancelled; %(num)s pledge released, nobody was charged.",
                   "Campaign cancelled; %(num)s pledges released, nobody was charged.",
                   released), "info")
    return redirect(url_for("studio.overview", campaign_id=campaign.id))
