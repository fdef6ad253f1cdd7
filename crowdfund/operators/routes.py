"""Operator pages. Every route here is for operators only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from crowdfund.auth import identity
from crowdfund.auth.guards import operator_second_factor
from crowdfund.auth.models import (
    IdentityVerification,
    User,
    VerificationStatus,
    VerificationTransition,
)
from crowdfund.auth.services import end_sessions_by_operator, set_verification
from crowdfund.campaigns import services
from crowdfund.campaigns.forms import ApproveForm, ReasonForm, StaffPickForm
from crowdfund.campaigns.models import Campaign, CampaignTransition, StaffPickChange
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.reports import open_reports
from crowdfund.equity.changes import LABELS, pending_change, snapshot
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _, _l, ngettext
from crowdfund.operators import bp
from crowdfund.operators import reasons as _reasons  # noqa: F401 - its system_text filter
from crowdfund.operators.forms import VerificationForm
from crowdfund.pledges.totals import totals_of
from crowdfund.settlement.books import differences
from crowdfund.settlement.fan_out import queue_settlement
from crowdfund.settlement.plan import plan
from crowdfund.statemachine import status_label
from crowdfund.web import MAX_PAGE, form_status, int_arg, operator_required, run_action, submit_form


@bp.before_request
@operator_required
def _operators_only():
    """Every operator page: signed in, an operator (403 otherwise), with a session that
    passed two-factor sign-in (OPERATOR_TWO_FACTOR_REQUIRED)."""
    return operator_second_factor()


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/")
def index():
    queue = list(db.session.scalars(
        sa.select(Campaign).where(Campaign.status == CampaignStatus.SUBMITTED)
        .order_by(Campaign.submitted_at)
    ))
    counts = dict(db.session.execute(
        sa.select(Campaign.status, sa.func.count()).group_by(Campaign.status)
    ).all())
    live = list(db.session.scalars(
        sa.select(Campaign).where(Campaign.status == CampaignStatus.LIVE)
        .order_by(Campaign.deadline)
    ))
    return render_template("operators/index.html", queue=queue, counts=counts, live=live,
                           statuses=_status_names(), checks=identity.waiting_checks(),
                           reports=open_reports(), differences_open=differences.open_count())


#: How the index names statuses the pages call alike ("Funded": charging, and settled).
_TOLD_APART = {
    # TRANSLATORS: a campaign status on the operators' index: funded, its cards being charged.
    CampaignStatus.FUNDED: _l("Funded (funded)"),
    # TRANSLATORS: a campaign status on the operators' index: funded, its money settled.
    CampaignStatus.SETTLED: _l("Funded (settled)"),
}


def _status_names() -> dict[CampaignStatus, str]:
    """Each status as the pages name it; two that share a name ("Funded": charging, and
    settled) are told apart ("Funded (funded)", "Funded (settled)"), any others by their
    value."""
    names = {status: str(_TOLD_APART.get(status) or status_label(status))
             for status in CampaignStatus}
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}
    # TRANSLATORS: a status whose name another shares, told apart by its code.
    return {status: _("%(label)s (%(code)s)", label=name, code=status.value)
            if name in shared else name for status, name in names.items()}


@bp.get("/campaigns/<int:campaign_id>")
def review(campaign_id: int):
    campaign = _campaign(campaign_id)

    offering = offering_of(campaign)
    change = offering and pending_change(offering)
    return render_template(
        "operators/review.html", campaign=campaign, totals=totals_of(campaign),
        plan=plan(campaign), confirm=ConfirmForm(), change=change, change_labels=LABELS,
        current_terms=snapshot(offering) if change else None,
        checklist=services.readiness(campaign), approve_form=ApproveForm(),
        reject_form=ReasonForm(), suspend_form=ReasonForm(),
        pick_form=StaffPickForm(picked=campaign.staff_pick),
    )


@bp.post("/campaigns/<int:campaign_id>/<any(approve, reject, suspend):action>")
def decide(campaign_id: int, action: str):
    campaign = _campaign(campaign_id)
    form = ApproveForm() if action == "approve" else ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason (at least 5 characters)."), "error")
        return redirect(url_for("operators.review", campaign_id=campaign.id))
    if action == "approve":
        run_action(lambda: services.approve(campaign, current_user, form.note.data),
                   _("Approved: the founder can launch it now."))
    elif action == "reject":
        run_action(lambda: services.reject(campaign, current_user, form.reason.data),
                   _("Sent back to the founder with your reason."))
    else:
        run_action(lambda: services.suspend(campaign, current_user, form.reason.data),
                   lambda released: ngettext("Suspended; %(num)s pledge released.",
                                             "Suspended; %(num)s pledges released.", released))
    if action == "suspend":
        return redirect(url_for("operators.review", campaign_id=campaign.id))
    return redirect(url_for("operators.index"))


@bp.post("/campaigns/<int:campaign_id>/settle")
def settle(campaign_id: int):
    """Queue the campaign's settlement (the same job as the settle pass) and return at
    once: its charges go out in batches over every worker; the console shows progress."""
    campaign = _campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    job = queue_settlement(campaign.id, requested_by=current_user.id)
    db.session.commit()
    flash(_("Settlement of %(title)s queued (job %(job)s): its progress is below.",
            title=campaign.title, job=job.id), "info")
    return redirect(url_for("operators.settlement"))


@bp.post("/campaigns/<int:campaign_id>/staff-pick")
def staff_pick(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = StaffPickForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_staff_pick(campaign, current_user, form.picked.data)
    db.session.commit()
    flash(_("Staff pick updated."), "success")
    return redirect(url_for("operators.review", campaign_id=campaign_id))


@bp.get("/audit")
def audit():
    page = int_arg("page", 1, high=MAX_PAGE)
    stmt = (sa.select(CampaignTransition).order_by(CampaignTransition.id.desc())
            .options(joinedload(CampaignTransition.campaign),
                     joinedload(CampaignTransition.actor).lazyload(User.verification)))
    campaign_id = int_arg("campaign")
    if campaign_id:
        stmt = stmt.where(CampaignTransition.campaign_id == campaign_id)
    rows = db.paginate(stmt, page=page, per_page=50, error_out=False)
    # With who and what they name, in the same query (no query per row).
    picks = (sa.select(StaffPickChange).order_by(StaffPickChange.id.desc()).limit(50)
             .options(joinedload(StaffPickChange.campaign),
                      joinedload(StaffPickChange.actor).lazyload(User.verification)))
    if campaign_id:
        picks = picks.where(StaffPickChange.campaign_id == campaign_id)
    checks = (sa.select(VerificationTransition).order_by(VerificationTransition.id.desc())
              .limit(50).options(
                  joinedload(VerificationTransition.verification)
                  .joinedload(IdentityVerification.user).lazyload(User.verification),
                  joinedload(VerificationTransition.actor).lazyload(User.verification)))
    return render_template("operators/audit.html", rows=rows, campaign_id=campaign_id,
                           picks=db.session.scalars(picks).all(),
                           checks=[] if campaign_id else db.session.scalars(checks).all())


@bp.get("/founders")
def founders():
    # Founders, and people who sent an identity check before starting a campaign.
    people = list(db.session.scalars(
        sa.select(User).where(sa.or_(User.id.in_(sa.select(Campaign.founder_id)),
                                     User.id.in_(sa.select(IdentityVerification.user_id))))
        .order_by(User.display_name)
    ))
    return render_template("operators/founders.html", people=people)


@bp.route("/founders/<int:user_id>", methods=["GET", "POST"])
def founder(user_id: int):
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    record = person.verification
    form = VerificationForm(
        status=record.status.value if record else VerificationStatus.UNVERIFIED.value,
        legal_name=record.legal_name if record else "",
        note=record.note if record else "",
    ) if request.method == "GET" else VerificationForm()
    if form.validate_on_submit() and submit_form(
            form, lambda: set_verification(
                person, current_user, status=VerificationStatus(form.status.data),
                legal_name=form.legal_name.data or "", note=form.note.data or ""),
            _("Identity status of %(name)s saved.", name=person.display_name)):
        return redirect(url_for("operators.founders"))
    campaigns = list(db.session.scalars(
        sa.select(Campaign).where(Campaign.founder_id == person.id)
    ))
    status = form_status(form)
    return render_template("operators/founder.html", person=person, form=form,
                           campaigns=campaigns, end_form=ConfirmForm()), status


@bp.get("/founders/<int:user_id>/document")
def identity_document(user_id: int):
    """A founder's identity document, for operators only: never cached, never a download
    link anyone else could follow."""
    person = db.session.get(User, user_id) or abort(404)
    found = identity.document_of(person)
    if found is None:
        abort(404)
    return Response(found.data, mimetype=found.content_type, headers={
        "Cache-Control": "no-store, private", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


@bp.post("/users/<int:user_id>/sessions/end")
def end_sessions(user_id: int):
    """Sign a person out everywhere (a stolen cookie, a compromised account)."""
    person = db.session.get(User, user_id)
    if person is None or not ConfirmForm().validate_on_submit():
        abort(404 if person is None else 400)
    run_action(lambda: end_sessions_by_operator(person, current_user),
               lambda ended: ngettext("Ended %(num)s session of %(name)s.",
                                      "Ended %(num)s sessions of %(name)s.", ended,
                                      name=person.display_name))
    return redirect(url_for("operators.founder", user_id=person.id))
