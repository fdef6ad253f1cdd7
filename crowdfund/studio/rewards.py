"""Rewards and the budget of a campaign."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.campaigns import rewards as editing
from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.forms import (
    BudgetLineForm,
    TierForm,
)
from crowdfund.campaigns.models import BudgetLine, Campaign
from crowdfund.campaigns.web import own_campaign, own_tier
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.money import Money
from crowdfund.pledges.totals import tiers_with_backers
from crowdfund.web import (
    form_status,
    run_action,
    submit_form,
)


def _tier_input(form: TierForm, campaign: Campaign) -> editing.TierInput | None:
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
    return editing.TierInput(
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
                editing.add_tier(campaign, current_user, data) if tier is None
                else editing.update_tier(tier, current_user, data)), "Reward saved."):
            return redirect(url_for("studio.rewards", campaign_id=campaign.id))
    return render_template("studio/tier.html", form=form, campaign=campaign,
                           tier=tier), form_status(form)


@studio_bp.post("/<int:campaign_id>/rewards/<int:tier_id>/delete")
def delete_tier(campaign_id: int, tier_id: int):
    campaign = own_campaign(campaign_id)
    tier = own_tier(campaign, tier_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: editing.delete_tier(tier, current_user), "Reward removed.")
    return redirect(url_for("studio.rewards", campaign_id=campaign.id))


@studio_bp.route("/<int:campaign_id>/budget", methods=["GET", "POST"])
def budget(campaign_id: int):
    campaign = own_campaign(campaign_id)
    form = BudgetLineForm()
    if form.validate_on_submit():
        amount = form.amount.money_in(campaign.currency)
        if amount is not None and submit_form(
                form, lambda: editing.add_budget_line(campaign, current_user, form.label.data,
                                                       amount), "Budget line added."):
            return redirect(url_for("studio.budget", campaign_id=campaign.id))
    return render_template("studio/budget.html", form=form, campaign=campaign,
                           confirm=ConfirmForm()), form_status(form)


@studio_bp.post("/<int:campaign_id>/budget/<int:line_id>/delete")
def delete_budget_line(campaign_id: int, line_id: int):
    campaign = own_campaign(campaign_id)
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: editing.delete_budget_line(line, current_user), "Budget line removed.")
    return redirect(url_for("studio.budget", campaign_id=campaign.id))
