"""Rewards and the budget of a campaign."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.campaigns import rewards as editing
from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.forms import (
    MAX_SHIPPING_ROWS,
    BudgetLineForm,
    ShippingRowsForm,
    TierForm,
)
from crowdfund.campaigns.models import BudgetLine, Campaign, RewardTier
from crowdfund.campaigns.web import own_campaign, own_tier
from crowdfund.extensions import db
from crowdfund.filters import money
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.money import Money
from crowdfund.pledges.totals import tiers_with_backers
from crowdfund.web import (
    form_status,
    run_action,
    submit_form,
)


def shipping_input(form: ShippingRowsForm, currency: str) -> list[tuple[str, Money]] | None:
    """The filled shipping rows of a tier's or an add-on's form (none when it does not
    ship); None after an error next to the table."""
    shipping = []
    ok = True
    if form.ships.data == "yes":
        for entry in form.shipping.entries:
            destination, fee_field = entry.form.destination.data, entry.form.fee
            if not destination and fee_field.data is None:
                continue
            if not destination or fee_field.data is None:
                form.shipping.errors.append(
                    _("Each shipping row needs a destination and a fee."))
                ok = False
                continue
            fee = fee_field.money_in(currency)
            if fee is None:
                ok = False
                continue
            shipping.append((destination, fee))
    return shipping if ok else None


def _tier_input(form: TierForm, campaign: Campaign) -> editing.TierInput | None:
    minimum = form.minimum.money_in(campaign.currency)
    shipping = shipping_input(form, campaign.currency)
    if minimum is None or shipping is None:
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
        _fill_rates(form, tier)
    more_rows = request.method == "POST" and "more_rows" in request.form
    if more_rows:
        form.add_rows(3)  # "Add another destination" without scripts: nothing is saved
    elif form.validate_on_submit():
        data = _tier_input(form, campaign)
        if data is not None and submit_form(form, lambda: (
                editing.add_tier(campaign, current_user, data) if tier is None
                else editing.update_tier(tier, current_user, data)), _("Reward saved.")):
            return redirect(url_for("studio.rewards", campaign_id=campaign.id))
    form.leave_blank_rows(1 if tier is not None or request.method == "POST" else 3)
    return render_template("studio/tier.html", form=form, campaign=campaign, tier=tier,
                           max_rows=MAX_SHIPPING_ROWS), 200 if more_rows else form_status(form)


def _fill_rates(form: TierForm, tier: RewardTier) -> None:
    form.minimum.data = tier.minimum.to_decimal()
    form.fill_rows(tier.ships, tier.rates_for_display, tier.campaign.currency)


@studio_bp.post("/<int:campaign_id>/rewards/<int:tier_id>/delete")
def delete_tier(campaign_id: int, tier_id: int):
    campaign = own_campaign(campaign_id)
    tier = own_tier(campaign, tier_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: editing.delete_tier(tier, current_user), _("Reward removed."))
    return redirect(url_for("studio.rewards", campaign_id=campaign.id))


@studio_bp.route("/<int:campaign_id>/budget", methods=["GET", "POST"])
@studio_bp.route("/<int:campaign_id>/budget/<int:line_id>", methods=["GET", "POST"])
def budget(campaign_id: int, line_id: int | None = None):
    """The budget, with a form that adds a line, or edits the line ``line_id``."""
    campaign = own_campaign(campaign_id)
    line = _own_line(campaign, line_id) if line_id is not None else None
    form = BudgetLineForm()
    if request.method == "GET" and line is not None:
        form = BudgetLineForm(label=line.label, amount=line.amount.to_decimal())
    if form.validate_on_submit():
        amount = form.amount.money_in(campaign.currency)
        if amount is not None and submit_form(form, lambda: (
                editing.add_budget_line(campaign, current_user, form.label.data, amount)
                if line is None else
                editing.update_budget_line(line, current_user, form.label.data, amount)),
                _("Budget line added.") if line is None else _("Budget line saved.")):
            _warn_over_goal(campaign)
            return redirect(url_for("studio.budget", campaign_id=campaign.id))
    return render_template("studio/budget.html", form=form, campaign=campaign, editing=line,
                           confirm=ConfirmForm()), form_status(form)


def _warn_over_goal(campaign: Campaign) -> None:
    """A budget over the goal is saved (the founder may be lowering another line next) but
    said plainly: review refuses it."""
    over = editing.budget_overrun(campaign)
    if over is not None:
        flash(_("Budget now %(over)s over the goal of %(goal)s: review will refuse it until "
                "the lines together are no more than the goal (lower a line, or raise the "
                "goal).", over=money(over), goal=money(campaign.goal)), "warning")


def _own_line(campaign: Campaign, line_id: int) -> BudgetLine:
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.campaign_id != campaign.id:
        abort(404)
    return line


@studio_bp.post("/<int:campaign_id>/budget/<int:line_id>/delete")
def delete_budget_line(campaign_id: int, line_id: int):
    line = _own_line(own_campaign(campaign_id), line_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: editing.delete_budget_line(line, current_user),
               _("Budget line removed."))
    return redirect(url_for("studio.budget", campaign_id=campaign_id))
