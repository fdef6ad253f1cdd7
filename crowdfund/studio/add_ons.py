"""A reward campaign's add-ons in the studio: the list, the form that adds or edits one,
removing one."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.campaigns import add_ons as editing
from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.add_on_forms import ALL_TIERS, CHOSEN_TIERS, AddOnForm
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.forms import MAX_SHIPPING_ROWS
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.web import own_campaign
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.i18n import _
from crowdfund.pledges.add_ons import backed_add_ons
from crowdfund.studio.rewards import shipping_input
from crowdfund.web import form_status, run_action, submit_form


def _own_add_on(campaign: Campaign, add_on_id: int) -> AddOn:
    add_on = db.session.get(AddOn, add_on_id)
    if add_on is None or add_on.campaign_id != campaign.id:
        abort(404)
    return add_on


def _reward_campaign(campaign_id: int) -> Campaign:
    campaign = own_campaign(campaign_id)
    if campaign.is_equity:
        abort(404)
    return campaign


def _input(form: AddOnForm, campaign: Campaign) -> editing.AddOnInput | None:
    price = form.price.money_in(campaign.currency)
    shipping = shipping_input(form, campaign.currency)
    if price is None or shipping is None:
        return None
    return editing.AddOnInput(
        name=form.name.data, description=form.description.data or "", price=price,
        quantity_limit=form.quantity_limit.data, ships=form.ships.data == "yes",
        shipping=shipping, all_tiers=form.offered_with.data != CHOSEN_TIERS,
        tier_ids=list(form.tier_ids.data or []))


@studio_bp.get("/<int:campaign_id>/add-ons")
def add_ons(campaign_id: int):
    campaign = _reward_campaign(campaign_id)
    return render_template("studio/add_ons.html", campaign=campaign,
                           add_ons=editing.add_ons_of(campaign),
                           backed=backed_add_ons(campaign), confirm=ConfirmForm())


@studio_bp.route("/<int:campaign_id>/add-ons/new", methods=["GET", "POST"])
@studio_bp.route("/<int:campaign_id>/add-ons/<int:add_on_id>", methods=["GET", "POST"])
def add_on(campaign_id: int, add_on_id: int | None = None):
    campaign = _reward_campaign(campaign_id)
    add_on = _own_add_on(campaign, add_on_id) if add_on_id is not None else None
    form = AddOnForm(campaign)
    if request.method == "GET" and add_on is not None:
        form = AddOnForm(campaign, obj=add_on)
        _fill(form, add_on)
    more_rows = request.method == "POST" and "more_rows" in request.form
    if more_rows:
        form.add_rows(3)  # "Add another destination" without scripts: nothing is saved
    elif form.validate_on_submit():
        data = _input(form, campaign)
        if data is not None and submit_form(form, lambda: (
                editing.add_add_on(campaign, current_user, data) if add_on is None
                else editing.update_add_on(add_on, current_user, data)), _("Add-on saved.")):
            return redirect(url_for("studio.add_ons", campaign_id=campaign.id))
    form.leave_blank_rows(1 if add_on is not None or request.method == "POST" else 3)
    return render_template("studio/add_on.html", form=form, campaign=campaign, add_on=add_on,
                           max_rows=MAX_SHIPPING_ROWS), 200 if more_rows else form_status(form)


def _fill(form: AddOnForm, add_on: AddOn) -> None:
    form.price.data = add_on.price.to_decimal()
    form.offered_with.data = ALL_TIERS if add_on.all_tiers else CHOSEN_TIERS
    form.tier_ids.data = add_on.tier_ids
    form.fill_rows(add_on.ships, add_on.rates_for_display, add_on.campaign.currency)


@studio_bp.post("/<int:campaign_id>/add-ons/<int:add_on_id>/delete")
def delete_add_on(campaign_id: int, add_on_id: int):
    campaign = _reward_campaign(campaign_id)
    add_on = _own_add_on(campaign, add_on_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run_action(lambda: editing.delete_add_on(add_on, current_user), _("Add-on removed."))
    return redirect(url_for("studio.add_ons", campaign_id=campaign.id))
