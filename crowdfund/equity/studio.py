"""An equity campaign's pages in the founder's studio: the offering's terms and changes,
its documents, an early close, the cap table."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.campaigns.web import own_campaign
from crowdfund.equity import changes, kiis
from crowdfund.equity.changes import close_early
from crowdfund.equity.closing import cap_table as holdings_of
from crowdfund.equity.forms import DocumentForm, EarlyCloseForm, OfferingForm
from crowdfund.equity.models import AllocationPolicy, DocumentKind, SecurityType
from crowdfund.equity.services import (
    OfferingInput,
    add_document,
    documents_of,
    financial_review_level,
    offering_of,
    remove_document,
    save_terms,
)
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import datetime_filter
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _, ngettext, number
from crowdfund.money import Money
from crowdfund.uploads import UploadError, delete_upload, save_pdf
from crowdfund.web import (
    csv_cell,
    csv_response,
    form_error,
    form_status,
    run_action,
)


def _offering_input(form, campaign: Campaign):
    """The form's terms as a service input; None after a field error (shown on the form)."""
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
    live = campaign.status is CampaignStatus.LIVE
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
                flash(_("Change sent to our team: investors see it once an operator applies "
                        "it.") if live else _("Offering terms saved."), "success")
                return redirect(url_for("studio.offering", campaign_id=campaign_id))
    maximum = (form.maximum.money_in(campaign.currency) if form.maximum.data is not None
               else campaign.goal)
    max_raise = Money.from_decimal(str(current_app.config["EQUITY_MAX_RAISE_MAJOR"]),
                                   campaign.currency)
    return render_template("studio/offering.html", campaign=campaign, form=form,
                           offering=current, max_raise=max_raise,
                           documents=documents_of(current), document_form=DocumentForm(),
                           live=live, pending=current and changes.pending_change(current),
                           early_form=EarlyCloseForm(),
                           confirm=ConfirmForm(),
                           review_level=financial_review_level(maximum or campaign.goal),
                           sheet_length=kiis.length_of(current) if kiis.applies(current)
                           else None), \
        form_status(form)


@studio_bp.get("/<int:campaign_id>/cap-table")
def cap_table(campaign_id: int):
    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    return render_template("studio/cap_table.html", campaign=campaign,
                           holdings=holdings_of(campaign))


@studio_bp.get("/<int:campaign_id>/cap-table.csv")
def cap_table_csv(campaign_id: int):
    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    return csv_response(
        f"{campaign.slug}-cap-table.csv",
        ["holding_id", "holder", "email", "security", "shares", "price_per_share", "amount",
         "currency", "issued_on"],
        ([h.id, csv_cell(h.holder.display_name), h.holder.email, h.security.value,
          h.shares or "", h.price_per_share.to_decimal() if h.price_per_share else "",
          h.principal.to_decimal(), h.currency, h.issued_on.isoformat()]
         for h in holdings_of(campaign)))


@studio_bp.post("/<int:campaign_id>/offering/documents")
def add_offering_document(campaign_id: int):
    campaign = own_campaign(campaign_id)
    if campaign.kind is not CampaignKind.EQUITY:
        abort(404)
    form = DocumentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(str(errors[0]), "error")  # a lazily translated message: its text
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
        flash(_("Document added."), "success")
    return redirect(url_for("studio.offering", campaign_id=campaign_id))


@studio_bp.post("/<int:campaign_id>/offering/documents/<int:document_id>/delete")
def delete_offering_document(campaign_id: int, document_id: int):
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
    flash(_("Document removed."), "info")
    return redirect(url_for("studio.offering", campaign_id=campaign_id))


@studio_bp.post("/<int:campaign_id>/offering/close-early")
def close_offering_early(campaign_id: int):
    campaign = own_campaign(campaign_id)
    form = EarlyCloseForm()
    if not form.validate_on_submit():
        errors = form.deadline.errors or [_("Choose the new deadline.")]
        flash(str(errors[0]), "error")
        return redirect(url_for("studio.offering", campaign_id=campaign.id))
    new_deadline = form.deadline.data
    run_action(lambda: close_early(campaign, current_user, new_deadline),
               lambda told: ngettext(
                   "The offering now closes %(when)s; %(count)s investor was told.",
                   "The offering now closes %(when)s; %(count)s investors were told.", told,
                   count=number(told), when=datetime_filter(new_deadline)))
    return redirect(url_for("studio.offering", campaign_id=campaign.id))
