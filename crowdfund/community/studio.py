"""The founder's community pages in the studio: updates, insights, delivery and spending."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.web import own_campaign
from crowdfund.community import charts
from crowdfund.community.card_health import at_risk
from crowdfund.community.delivery import (
    FUNDED_STATUSES,
    delivery_of,
    report_delivery,
    report_spending,
    spending_of,
)
from crowdfund.community.forms import DeliveryForm, SpendingForm, UpdateForm
from crowdfund.community.updates import post_update, updates_of
from crowdfund.i18n import _
from crowdfund.pledges.totals import totals_of
from crowdfund.web import (
    form_status,
    submit_form,
)


@studio_bp.route("/<int:campaign_id>/updates", methods=["GET", "POST"])
def updates(campaign_id: int):
    campaign = own_campaign(campaign_id)
    form = UpdateForm()
    if form.validate_on_submit() and submit_form(
            form, lambda: post_update(campaign, current_user, form.title.data,
                                      form.body_md.data, form.visibility.data),
            lambda update: _("Update #%(number)s is posted; your backers are emailed.",
                             number=update.number)):
        return redirect(url_for("studio.updates", campaign_id=campaign.id))
    return render_template("studio/updates.html", campaign=campaign, form=form,
                           updates=updates_of(campaign)), form_status(form)


@studio_bp.get("/<int:campaign_id>/insights")
def insights(campaign_id: int):
    """The founder's charts: funding, pledges per day, by reward, by referral source; and
    the pledges whose card will not work at the deadline."""
    campaign = own_campaign(campaign_id)
    if not campaign.is_public:
        abort(404)
    return render_template(
        "studio/insights.html", campaign=campaign, totals=totals_of(campaign),
        funding=charts.funding_chart(campaign), per_day=charts.pledges_per_day(campaign),
        by_tier=charts.by_tier(campaign), by_source=charts.by_source(campaign),
        at_risk=at_risk(campaign) if campaign.is_live else [])


def _delivery_page(campaign: Campaign, delivery_form=None, spending_form=None, status=200):
    return render_template(
        "studio/delivery.html", campaign=campaign, deliveries=delivery_of(campaign),
        spending=spending_of(campaign),
        delivery_form=delivery_form or DeliveryForm(campaign, formdata=None),
        spending_form=spending_form or SpendingForm(campaign, formdata=None)), status


def _funded_campaign(campaign_id: int) -> Campaign:
    campaign = own_campaign(campaign_id)
    if campaign.status not in FUNDED_STATUSES:
        abort(404)
    return campaign


@studio_bp.route("/<int:campaign_id>/delivery", methods=["GET", "POST"])
def delivery(campaign_id: int):
    """Report reward delivery per tier (GET shows both forms and the histories)."""
    campaign = _funded_campaign(campaign_id)
    if request.method == "GET":
        return _delivery_page(campaign)
    form = DeliveryForm(campaign)
    if form.validate_on_submit() and submit_form(
            form, lambda: report_delivery(campaign, current_user, form.tier_id.data,
                                          form.status.data, form.expected_on.data,
                                          form.note.data or ""),
            _("Delivery status posted on the campaign page.")):
        return redirect(url_for("studio.delivery", campaign_id=campaign.id))
    return _delivery_page(campaign, delivery_form=form, status=400)


@studio_bp.post("/<int:campaign_id>/spending")
def spending(campaign_id: int):
    campaign = _funded_campaign(campaign_id)
    form = SpendingForm(campaign)
    if form.validate_on_submit():
        amount = form.amount.money_in(campaign.currency)
        if amount is not None and submit_form(
                form, lambda: report_spending(campaign, current_user, form.line_id, amount,
                                              form.spent_on.data, form.note.data),
                _("%(amount)s of spending is reported on the campaign page.",
                  amount=amount.format())):
            return redirect(url_for("studio.delivery", campaign_id=campaign.id))
    return _delivery_page(campaign, spending_form=form, status=400)
