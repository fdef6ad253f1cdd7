"""The founder's studio: drafts, rewards, budget, preview, submit, launch, cancel."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crowdfund.campaigns import services, studio_bp
from crowdfund.campaigns.forms import (
    BudgetLineForm,
    CampaignDraftForm,
    CampaignStoryForm,
    NewCampaignForm,
    ReasonForm,
    TierForm,
)
from crowdfund.campaigns.models import BudgetLine, Campaign, RewardTier
from crowdfund.campaigns.states import CampaignKind
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.money import Money
from crowdfund.pledges.totals import tiers_with_backers, totals_for, totals_of
from crowdfund.uploads import UploadError, delete_upload, save_image
from crowdfund.web import MAX_PAGE, csv_cell, form_error, int_arg, run_action, submit_form


@studio_bp.before_request
@login_required
def _signed_in():
    """Every studio page needs a signed-in user."""


def own_campaign(campaign_id: int) -> Campaign:
    """The signed-in founder's campaign, or 404 (other people's drafts do not exist)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.founder_id != current_user.id:
        abort(404)
    return campaign


def own_tier(campaign: Campaign, tier_id: int) -> RewardTier:
    tier = db.session.get(RewardTier, tier_id)
    if tier is None or tier.campaign_id != campaign.id:
        abort(404)
    return tier


def _status(form) -> int:
    return 400 if form.is_submitted() else 200


@studio_bp.get("/")
def index():
    campaigns = list(db.session.scalars(
        sa.select(Campaign).where(Campaign.founder_id == current_user.id)
        .order_by(Campaign.updated_at.desc())
    ))
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
                )
            except DomainError as exc:
                db.session.rollback()
                form_error(form, exc)
            else:
                db.session.commit()
                flash("Your draft is saved. Tell its story next.", "success")
                return redirect(url_for("studio.edit", campaign_id=campaign.id))
    return render_template("studio/new.html", form=form), _status(form)


@studio_bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    campaign = own_campaign(campaign_id)
    if not campaign.can_edit_story:
        flash(f"This campaign is {campaign.status_label.lower()} and cannot be edited now.",
              "info")
        return redirect(url_for("studio.overview", campaign_id=campaign.id))
    form_cls = CampaignStoryForm if campaign.is_locked else CampaignDraftForm
    form = form_cls(obj=campaign)
    if request.method == "GET" and not campaign.is_locked:
        form.goal.data = campaign.goal.to_decimal()
        if campaign.scheduled_launch_at:
            form.scheduled_launch_at.data = campaign.scheduled_launch_at.replace(tzinfo=None)
    if form.validate_on_submit():
        story = services.Story(
            title=form.title.data, blurb=form.blurb.data or "", category=form.category.data,
            description_md=form.description_md.data or "", risks_md=form.risks_md.data or "",
        )
        extra: dict = {}
        ok = True
        if not campaign.is_locked:
            goal = form.goal.money_in(form.currency.data)
            ok = goal is not None
            launch_at = form.scheduled_launch_at.data
            extra = dict(
                slug=form.slug.data.strip(), goal=goal, duration_days=form.duration_days.data,
                scheduled_launch_at=launch_at.replace(tzinfo=UTC) if launch_at else None,
            )
        new_cover = None
        if ok and form.cover.data:
            try:
                new_cover = save_image(
                    form.cover.data, "covers",
                    max_bytes=current_app.config["COVER_MAX_BYTES"],
                    max_size=current_app.config["COVER_MAX_SIZE"],
                )
            except UploadError as exc:
                form.cover.errors = [*form.cover.errors, str(exc)]
                ok = False
        if ok:
            try:
                services.update_campaign(campaign, current_user, story, **extra)
                old_cover = (services.set_cover(campaign, current_user, new_cover)
                             if new_cover else None)
            except DomainError as exc:
                db.session.rollback()
                delete_upload(new_cover)
                form_error(form, exc)
            else:
                db.session.commit()
                delete_upload(old_cover)
                flash("Saved.", "success")
                return redirect(url_for("studio.edit", campaign_id=campaign_id))
        else:
            delete_upload(new_cover)
    return render_template("studio/edit.html", form=form, campaign=campaign), _status(form)


@studio_bp.get("/<int:campaign_id>")
def overview(campaign_id: int):
    from crowdfund.community.card_health import at_risk

    campaign = own_campaign(campaign_id)
    return render_template(
        "studio/overview.html", campaign=campaign, checklist=services.readiness(campaign),
        totals=totals_of(campaign), confirm=ConfirmForm(), cancel_form=ReasonForm(),
        at_risk_count=len(at_risk(campaign)) if campaign.is_live else 0,
    )


# --- rewards ---------------------------------------------------------------------------


def _tier_input(form: TierForm, campaign: Campaign) -> services.TierInput | None:
    minimum = form.minimum.money_in(campaign.currency)
    shipping = []
    ok = minimum is not None
    if form.ships.data == "yes":
        for entry in form.shipping.entries:
            destination, fee_field = entry.form.destination.data, entry.form.fee
            if not destination and fee_field.data is None:
                continue
            if not destination or fee_field.data is None:
                form.shipping.errors.append("Each shipping row needs a destination and a fee.")
                ok = False
                continue
            fee = fee_field.money_in(campaign.currency)
            if fee is None:
                ok = False
                continue
            shipping.append((destination, fee))
    if not ok:
        return None
    return services.TierInput(
        title=form.title.data, description=form.description.data or "", minimum=minimum,
        quantity_limit=form.quantity_limit.data, estimated_delivery=form.estimated_delivery.data,
        ships=form.ships.data == "yes", shipping=shipping,
    )


@studio_bp.get("/<int:campaign_id>/rewards")
def rewards(campaign_id: int):
    campaign = own_campaign(campaign_id)
    return render_template("studio/rewards.html", campaign=campaign,
                           backed=tiers_with_backers(campaign), confirm=ConfirmForm())


@studio_bp.route("/<int:campaign_id>/rewards/new", methods=["GET", "POST"])
@studio_bp.route("/<int:campaign_id>/rewards/<int:tier_id>", methods=["GET", "POST"])
def tier(campaign_id: int, tier_id: int | None = None):
    campaign = own_campaign(campaign_id)
    tier = own_tier(campaign, tier_id) if tier_id is not None else None
    form = TierForm()
    if request.method == "GET" and tier is not None:
        form = TierForm(obj=tier)
        form.minimum.data = tier.minimum.to_decimal()
        form.ships.data = "yes" if tier.ships else "no"
        for entry, rate in zip(form.shipping.entries, tier.rates_for_display, strict=False):
            entry.form.destination.data = rate.destination
            entry.form.fee.data = Money(rate.fee_minor, campaign.currency).to_decimal()
    if form.validate_on_submit():
        data = _tier_input(form, campaign)
        if data is not None and submit_form(form, lambda: (
                services.add_tier(campaign, current_user, data) if tier is None
                else services.update_tier(tier, current_user, data)), "Reward saved."):
            return redirect(url_for("studio.rewards", campaign_id=campaign.id))
    return render_template("studio/tier.html", form=form, campaign=campaign,
                           tier=tier), _status(form)


@studio_bp.post("/<int:campaign_id>/rewards/<int:tier_id>/delete")
def delete_tier(campaign_id: int, tier_id: int):
    campaign = own_campaign(campaign_id)
    tier = own_tier(campaign, tier_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: services.delete_tier(tier, current_user), "Reward removed.")
    return redirect(url_for("studio.rewards", campaign_id=campaign.id))


# --- budget ----------------------------------------------------------------------------


@studio_bp.route("/<int:campaign_id>/budget", methods=["GET", "POST"])
def budget(campaign_id: int):
    campaign = own_campaign(campaign_id)
    form = BudgetLineForm()
    if form.validate_on_submit():
        amount = form.amount.money_in(campaign.currency)
        if amount is not None and submit_form(
                form, lambda: services.add_budget_line(campaign, current_user, form.label.data,
                                                       amount), "Budget line added."):
            return redirect(url_for("studio.budget", campaign_id=campaign.id))
    return render_template("studio/budget.html", form=form, campaign=campaign,
                           confirm=ConfirmForm()), _status(form)


@studio_bp.post("/<int:campaign_id>/budget/<int:line_id>/delete")
def delete_budget_line(campaign_id: int, line_id: int):
    campaign = own_campaign(campaign_id)
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: services.delete_budget_line(line, current_user), "Budget line removed.")
    return redirect(url_for("studio.budget", campaign_id=campaign.id))


# --- preview and state changes ---------------------------------------------------------


_ACTIONS = {
    "submit": (services.submit, "Submitted for review. An operator will look at it soon."),
    "withdraw": (services.withdraw, "Withdrawn from review: you can edit it again."),
    "launch": (services.launch, "Your campaign is live!"),
}


@studio_bp.post("/<int:campaign_id>/<any(submit, withdraw, launch):action>")
def change_state(campaign_id: int, action: str):
    campaign = own_campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service, message = _ACTIONS[action]
    run_action(lambda: service(campaign, current_user), message)
    return redirect(url_for("studio.overview", campaign_id=campaign.id))


@studio_bp.post("/<int:campaign_id>/cancel")
def cancel(campaign_id: int):
    campaign = own_campaign(campaign_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Give a reason (at least 5 characters) to cancel.", "error")
        return redirect(url_for("studio.overview", campaign_id=campaign.id))
    run_action(lambda: services.cancel(campaign, current_user, form.reason.data),
               lambda released: f"Campaign cancelled; {released} pledges released, nobody was "
                                "charged.", "info")
    return redirect(url_for("studio.overview", campaign_id=campaign.id))


# --- backers ---------------------------------------------------------------------------


@studio_bp.get("/<int:campaign_id>/backers")
def backers(campaign_id: int):
    """The campaign's backers, a page at a time (BACKERS_PER_PAGE), in a constant number of
    queries whatever their number."""
    from crowdfund.pledges.services import backers_query
    from crowdfund.settlement.forms import RefundForm
    from crowdfund.settlement.refunds import payout_paid, refundable_of

    campaign = own_campaign(campaign_id)
    page = db.paginate(backers_query(campaign), page=int_arg("page", 1, high=MAX_PAGE),
                       per_page=current_app.config["BACKERS_PER_PAGE"], error_out=False)
    can_refund = not payout_paid(campaign.id)
    return render_template("studio/backers.html", campaign=campaign, pledges=page.items,
                           page=page, totals=totals_of(campaign), refund_form=RefundForm(),
                           refundable=refundable_of([p for p in page.items if can_refund
                                                     and p.status.value == "collected"]))


@studio_bp.get("/<int:campaign_id>/backers.csv")
def backers_csv(campaign_id: int):
    import csv
    import io

    from flask import Response

    from crowdfund.pledges.services import iter_backers

    campaign = own_campaign(campaign_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["pledge_id", "backer", "email", "reward", "amount", "shipping",
                     "currency", "destination", "status", "pledged_at"])
    for p in iter_backers(campaign):  # keyset batches: the same queries per 1,000 rows
        writer.writerow([p.id, csv_cell(p.backer.display_name), p.backer.email,
                         csv_cell(p.tier.title if p.tier else "No reward"),
                         p.amount.to_decimal(), p.shipping.to_decimal(), p.currency,
                         p.destination or "", p.status.value, p.created_at.isoformat()])
    filename = f"{campaign.slug}-backers.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- refunds and payouts ---------------------------------------------------------------


@studio_bp.post("/<int:campaign_id>/pledges/<int:pledge_id>/refund")
def refund(campaign_id: int, pledge_id: int):
    """The founder refunds one of their backers (before the payout)."""
    from crowdfund.pledges.models import Pledge
    from crowdfund.settlement.forms import RefundForm
    from crowdfund.settlement.views import refund_from_form

    campaign = own_campaign(campaign_id)
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.campaign_id != campaign.id:
        abort(404)
    refund_from_form(pledge, RefundForm(), current_user)
    return redirect(url_for("studio.backers", campaign_id=campaign.id))


@studio_bp.get("/payouts")
def payouts():
    """How the founder gets paid: a Connect account when the platform uses Connect."""
    from crowdfund.payments import gateway
    from crowdfund.payments.gateway import PaymentError
    from crowdfund.settlement.models import Payout

    account = None
    if current_app.config["STRIPE_CONNECT_ENABLED"] and current_user.payout_account_id:
        try:
            account = gateway().retrieve_connected_account(current_user.payout_account_id)
        except PaymentError as exc:
            flash(exc.user_message, "error")
    rows = list(db.session.execute(
        sa.select(Payout, Campaign).join(Campaign, Campaign.id == Payout.campaign_id)
        .where(Campaign.founder_id == current_user.id).order_by(Payout.due_at.desc())))
    return render_template("studio/payouts.html", account=account, rows=rows,
                           connect=current_app.config["STRIPE_CONNECT_ENABLED"],
                           confirm=ConfirmForm())


@studio_bp.post("/payouts/connect")
def connect_payouts():
    """Create the founder's Express account once, then send them to onboarding."""
    from crowdfund.payments import gateway
    from crowdfund.payments.gateway import PaymentError

    if not current_app.config["STRIPE_CONNECT_ENABLED"]:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    gw = gateway()
    try:
        if current_user.payout_account_id is None:
            current_user.payout_account_id = gw.create_connected_account(
                email=current_user.email, country=None,
                idempotency_key=f"user-{current_user.id}-connect")
            db.session.commit()
        url = gw.account_onboarding_link(
            current_user.payout_account_id,
            refresh_url=url_for("studio.payouts", _external=True),
            return_url=url_for("studio.payouts", _external=True))
    except PaymentError as exc:
        db.session.rollback()
        flash(exc.user_message, "error")
        return redirect(url_for("studio.payouts"))
    return redirect(url)


# --- equity offering terms -------------------------------------------------------------


def _offering_input(form, campaign: Campaign):
    """The form's terms as a service input; None after a field error (shown on the form)."""
    from crowdfund.equity.models import AllocationPolicy, SecurityType
    from crowdfund.equity.services import OfferingInput

    amounts = {}
    for name in ("maximum", "minimum_investment", "price_per_share", "pre_money_valuation",
                 "valuation_cap"):
        field = getattr(form, name)
        amounts[name] = field.money_in(campaign.currency) if field.data is not None else None
        if field.data is not None and amounts[name] is None:
            return None
    return OfferingInput(
        issuer_legal_name=form.issuer_legal_name.data, incorporated_on=form.incorporated_on.data,
        issuer_jurisdiction=form.issuer_jurisdiction.data,
        security=SecurityType(form.security.data), allocation=AllocationPolicy(
            form.allocation.data), use_of_proceeds_md=form.use_of_proceeds_md.data,
        discount_bps=form.discount.data, interest_rate_bps=form.interest_rate.data,
        maturity_on=form.maturity_on.data, **amounts)


@studio_bp.route("/<int:campaign_id>/offering", methods=["GET", "POST"])
def offering(campaign_id: int):
    """Equity campaigns: the terms of the offering (locked once in review)."""
    from decimal import Decimal

    from crowdfund.equity.forms import OfferingForm
    from crowdfund.equity.services import financial_review_level, offering_of, save_terms

    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    current = offering_of(campaign)
    form = OfferingForm()
    if request.method == "GET" and current is not None:
        form = OfferingForm(obj=current, security=current.security.value,
                            allocation=current.allocation.value,
                            discount=current.discount_bps,
                            interest_rate=current.interest_rate_bps)
        for name in ("maximum", "minimum_investment", "price_per_share", "pre_money_valuation",
                     "valuation_cap"):
            value = getattr(current, name)
            getattr(form, name).data = value.to_decimal() if value is not None else None
    elif request.method == "GET":
        form.maximum.data = campaign.goal.to_decimal() * Decimal(2)
    from crowdfund.equity import changes

    live = campaign.status.value == "live"
    if form.validate_on_submit():
        terms = _offering_input(form, campaign)
        if terms is not None:
            try:
                if live:
                    changes.propose(campaign, current_user, terms,
                                    form.change_summary.data or "")
                else:
                    save_terms(campaign, current_user, terms)
            except DomainError as exc:
                db.session.rollback()
                if exc.field == "summary":
                    exc.field = "change_summary"
                form_error(form, exc)
            else:
                db.session.commit()
                flash("Change sent to our team: investors see it once an operator applies it."
                      if live else "Offering terms saved.", "success")
                return redirect(url_for("studio.offering", campaign_id=campaign_id))
    maximum = (form.maximum.money_in(campaign.currency) if form.maximum.data is not None
               else campaign.goal)
    max_raise = Money.from_decimal(str(current_app.config["EQUITY_MAX_RAISE_MAJOR"]),
                                   campaign.currency)
    from crowdfund.equity.forms import DocumentForm, EarlyCloseForm
    from crowdfund.equity.services import documents_of

    return render_template("studio/offering.html", campaign=campaign, form=form,
                           offering=current, max_raise=max_raise,
                           documents=documents_of(current), document_form=DocumentForm(),
                           live=live, pending=current and changes.pending_change(current),
                           early_form=EarlyCloseForm(),
                           confirm=ConfirmForm(),
                           review_level=financial_review_level(maximum or campaign.goal)), \
        _status(form)


@studio_bp.get("/<int:campaign_id>/cap-table")
def cap_table(campaign_id: int):
    from crowdfund.equity.closing import cap_table as holdings_of

    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    return render_template("studio/cap_table.html", campaign=campaign,
                           holdings=holdings_of(campaign))


@studio_bp.get("/<int:campaign_id>/cap-table.csv")
def cap_table_csv(campaign_id: int):
    import csv
    import io

    from flask import Response

    from crowdfund.equity.closing import cap_table as holdings_of

    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["holding_id", "holder", "email", "security", "shares", "price_per_share",
                     "amount", "currency", "issued_on"])
    for h in holdings_of(campaign):
        writer.writerow([h.id, csv_cell(h.holder.display_name), h.holder.email,
                         h.security.value,
                         h.shares or "", h.price_per_share.to_decimal() if h.price_per_share
                         else "", h.principal.to_decimal(), h.currency, h.issued_on.isoformat()])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{campaign.slug}-cap-table.csv"'})


@studio_bp.post("/<int:campaign_id>/offering/documents")
def add_offering_document(campaign_id: int):
    from crowdfund.equity.forms import DocumentForm
    from crowdfund.equity.models import DocumentKind
    from crowdfund.equity.services import add_document
    from crowdfund.uploads import save_pdf

    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    form = DocumentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for("studio.offering", campaign_id=campaign.id))
    try:
        path, size = save_pdf(form.document.data, "documents",
                              max_bytes=current_app.config["DOCUMENT_MAX_BYTES"])
    except UploadError as exc:
        flash(str(exc), "error")
        return redirect(url_for("studio.offering", campaign_id=campaign.id))
    try:
        add_document(campaign, current_user, DocumentKind(form.kind.data), form.title.data,
                     path, size)
    except DomainError as exc:
        db.session.rollback()
        delete_upload(path)  # nothing half-written: the file goes with the refused row
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("Document added.", "success")
    return redirect(url_for("studio.offering", campaign_id=campaign_id))


@studio_bp.post("/<int:campaign_id>/offering/documents/<int:document_id>/delete")
def delete_offering_document(campaign_id: int, document_id: int):
    from crowdfund.equity.services import remove_document

    campaign = own_campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        path = remove_document(campaign, current_user, document_id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("studio.offering", campaign_id=campaign.id))
    if path is None:
        abort(404)
    db.session.commit()
    delete_upload(path)
    flash("Document removed.", "info")
    return redirect(url_for("studio.offering", campaign_id=campaign_id))


@studio_bp.post("/<int:campaign_id>/offering/close-early")
def close_offering_early(campaign_id: int):
    from crowdfund.equity.changes import close_early
    from crowdfund.equity.forms import EarlyCloseForm

    campaign = own_campaign(campaign_id)
    form = EarlyCloseForm()
    if not form.validate_on_submit():
        flash("Choose the new deadline.", "error")
        return redirect(url_for("studio.offering", campaign_id=campaign.id))
    new_deadline = form.deadline.data.replace(tzinfo=UTC)
    run_action(lambda: close_early(campaign, current_user, new_deadline),
               lambda told: f"The offering now closes {new_deadline:%Y-%m-%d %H:%M} UTC; "
                            f"{told} investors were told.")
    return redirect(url_for("studio.offering", campaign_id=campaign.id))


# --- updates ---------------------------------------------------------------------------


@studio_bp.route("/<int:campaign_id>/updates", methods=["GET", "POST"])
def updates(campaign_id: int):
    from crowdfund.community.forms import UpdateForm
    from crowdfund.community.updates import post_update, updates_of

    campaign = own_campaign(campaign_id)
    form = UpdateForm()
    if form.validate_on_submit() and submit_form(
            form, lambda: post_update(campaign, current_user, form.title.data,
                                      form.body_md.data, form.visibility.data),
            lambda update: f"Update #{update.number} is posted; your backers are emailed."):
        return redirect(url_for("studio.updates", campaign_id=campaign.id))
    return render_template("studio/updates.html", campaign=campaign, form=form,
                           updates=updates_of(campaign)), _status(form)


# --- after launch: insights, delivery and spending -------------------------------------


@studio_bp.get("/<int:campaign_id>/insights")
def insights(campaign_id: int):
    """The founder's charts: funding, pledges per day, by reward, by referral source; and
    the pledges whose card will not work at the deadline."""
    from crowdfund.community import charts
    from crowdfund.community.card_health import at_risk

    campaign = own_campaign(campaign_id)
    if not campaign.is_public:
        abort(404)
    return render_template(
        "studio/insights.html", campaign=campaign, totals=totals_of(campaign),
        funding=charts.funding_chart(campaign), per_day=charts.pledges_per_day(campaign),
        by_tier=charts.by_tier(campaign), by_source=charts.by_source(campaign),
        at_risk=at_risk(campaign) if campaign.is_live else [])


def _delivery_page(campaign: Campaign, delivery_form=None, spending_form=None, status=200):
    from crowdfund.community.delivery import delivery_of, spending_of
    from crowdfund.community.forms import DeliveryForm, SpendingForm

    return render_template(
        "studio/delivery.html", campaign=campaign, deliveries=delivery_of(campaign),
        spending=spending_of(campaign),
        delivery_form=delivery_form or DeliveryForm(campaign, formdata=None),
        spending_form=spending_form or SpendingForm(campaign, formdata=None)), status


def _funded_campaign(campaign_id: int) -> Campaign:
    from crowdfund.community.delivery import FUNDED_STATUSES

    campaign = own_campaign(campaign_id)
    if campaign.status not in FUNDED_STATUSES:
        abort(404)
    return campaign


@studio_bp.route("/<int:campaign_id>/delivery", methods=["GET", "POST"])
def delivery(campaign_id: int):
    """Report reward delivery per tier (GET shows both forms and the histories)."""
    from crowdfund.community.delivery import report_delivery
    from crowdfund.community.forms import DeliveryForm

    campaign = _funded_campaign(campaign_id)
    if request.method == "GET":
        return _delivery_page(campaign)
    form = DeliveryForm(campaign)
    if form.validate_on_submit() and submit_form(
            form, lambda: report_delivery(campaign, current_user, form.tier_id.data,
                                          form.status.data, form.expected_on.data,
                                          form.note.data or ""),
            "Delivery status posted on the campaign page."):
        return redirect(url_for("studio.delivery", campaign_id=campaign.id))
    return _delivery_page(campaign, delivery_form=form, status=400)


@studio_bp.post("/<int:campaign_id>/spending")
def spending(campaign_id: int):
    from crowdfund.community.delivery import report_spending
    from crowdfund.community.forms import SpendingForm

    campaign = _funded_campaign(campaign_id)
    form = SpendingForm(campaign)
    if form.validate_on_submit():
        amount = form.amount.money_in(campaign.currency)
        if amount is not None and submit_form(
                form, lambda: report_spending(campaign, current_user, form.line_id, amount,
                                              form.spent_on.data, form.note.data),
                f"{amount.format()} of spending is reported on the campaign page."):
            return redirect(url_for("studio.delivery", campaign_id=campaign.id))
    return _delivery_page(campaign, spending_form=form, status=400)
