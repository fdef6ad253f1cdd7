"""Late pledges in the studio: the founder's choice (accept or not, how many days after the
deadline, the late price of each reward) and what late pledges brought so far."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.late_settings import form_input, late_settings_form, set_late_pledges
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.web import own_campaign
from crowdfund.i18n import _
from crowdfund.pledges.late import late_totals, late_window_ends
from crowdfund.web import form_status, submit_form


def _reward_campaign(campaign_id: int) -> Campaign:
    campaign = own_campaign(campaign_id)
    if campaign.is_equity:
        abort(404)
    return campaign


@studio_bp.route("/<int:campaign_id>/late", methods=["GET", "POST"])
def late(campaign_id: int):
    campaign = _reward_campaign(campaign_id)
    form = late_settings_form(campaign)
    if request.method == "GET":
        form.accept.data = "yes" if campaign.late_pledge_days else "no"
        form.days.data = campaign.late_pledge_days
        for tier in campaign.tiers:
            if tier.late_price_minor is not None:
                form.price_of(tier).data = tier.late_price.to_decimal()
    if form.validate_on_submit() and (chosen := form_input(form, campaign)) is not None:
        if submit_form(form, lambda: set_late_pledges(campaign, *chosen),
                       _("Late pledges are saved.")):
            return redirect(url_for("studio.late", campaign_id=campaign.id))
    return render_template("studio/late.html", campaign=campaign, form=form,
                           ends=late_window_ends(campaign),
                           totals=late_totals(campaign)), form_status(form)
