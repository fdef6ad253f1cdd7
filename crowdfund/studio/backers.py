"""A campaign's backers, a page at a time and as CSV; a founder's refund of one."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from crowdfund.auth.guards import recent_second_factor
from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.web import own_campaign
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.pledges import queries as pledges
from crowdfund.pledges.late import late_totals
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.totals import totals_of
from crowdfund.settlement.forms import RefundForm
from crowdfund.settlement.refunds import payout_paid, refundable_of
from crowdfund.settlement.views import refund_from_form
from crowdfund.web import (
    MAX_PAGE,
    csv_cell,
    csv_response,
    int_arg,
)


@studio_bp.get("/<int:campaign_id>/backers")
def backers(campaign_id: int):
    """The campaign's backers, a page at a time (BACKERS_PER_PAGE), in a constant number of
    queries whatever their number."""
    campaign = own_campaign(campaign_id)
    page = db.paginate(pledges.backers_query(campaign), page=int_arg("page", 1, high=MAX_PAGE),
                       per_page=current_app.config["BACKERS_PER_PAGE"], error_out=False)
    can_refund = not payout_paid(campaign.id)
    return render_template("studio/backers.html", campaign=campaign, pledges=page.items,
                           page=page, totals=totals_of(campaign), refund_form=RefundForm(),
                           not_counted=pledges.not_counted_in_list(campaign),
                           late=late_totals(campaign),
                           refundable=refundable_of([p for p in page.items if can_refund
                                                     and p.status is PledgeStatus.COLLECTED]))


@studio_bp.get("/<int:campaign_id>/backers.csv")
def backers_csv(campaign_id: int):
    campaign = own_campaign(campaign_id)
    return csv_response(
        f"{campaign.slug}-backers.csv",
        ["pledge_id", "backer", "email", "reward", "add_ons", "add_ons_amount", "amount",
         "shipping", "currency", "destination", "status", "pledged_at", "late"],
        ([p.id, csv_cell(p.backer.display_name), p.backer.email,
          csv_cell(p.tier.title if p.tier else _("No reward")),
          csv_cell("; ".join(f"{line.quantity} x {line.add_on.name}" for line in p.add_ons)),
          p.add_ons_amount.to_decimal(), p.amount.to_decimal(),
          p.shipping.to_decimal(), p.currency, p.destination or "", p.status.value,
          p.created_at.isoformat(), "yes" if p.late else "no"]
         for p in pledges.iter_backers(campaign)))  # keyset batches, add-ons with each


@studio_bp.post("/<int:campaign_id>/pledges/<int:pledge_id>/refund")
@recent_second_factor
def refund(campaign_id: int, pledge_id: int):
    """The founder refunds one of their backers (before the payout)."""
    campaign = own_campaign(campaign_id)
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.campaign_id != campaign.id:
        abort(404)
    refund_from_form(pledge, RefundForm(), current_user)
    return redirect(url_for("studio.backers", campaign_id=campaign.id))
