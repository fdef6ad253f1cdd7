"""The founder's payouts page and Connect onboarding (on the studio blueprint)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from crowdfund.auth.guards import recent_second_factor
from crowdfund.campaigns import studio_bp
from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.forms import ConfirmForm
from crowdfund.payments import gateway
from crowdfund.payments.gateway import PaymentError
from crowdfund.settlement import balances
from crowdfund.settlement.models import Payout
from crowdfund.settlement.payouts import ensure_payout_account, onboarding_link


@studio_bp.get("/payouts")
def payouts():
    """How the founder gets paid: a Connect account when the platform uses Connect."""
    account = None
    if current_app.config["STRIPE_CONNECT_ENABLED"] and current_user.payout_account_id:
        try:
            account = gateway().retrieve_connected_account(current_user.payout_account_id)
        except PaymentError as exc:
            flash(exc.user_message, "error")
    rows = list(db.session.execute(
        sa.select(Payout, Campaign).join(Campaign, Campaign.id == Payout.campaign_id)
        .where(Campaign.founder_id == current_user.id).order_by(Payout.due_at.desc())))
    held = {payout.id: balances.in_open_disputes(campaign.id, payout.currency)
            for payout, campaign in rows if not payout.is_settled}
    return render_template("studio/payouts.html", account=account, rows=rows,
                           connect=current_app.config["STRIPE_CONNECT_ENABLED"],
                           held=held, carried=balances.balances_of(current_user),
                           confirm=ConfirmForm())


@studio_bp.post("/payouts/connect")
@recent_second_factor
def connect_payouts():
    """Create the founder's Express account once, then send them to onboarding."""
    if not current_app.config["STRIPE_CONNECT_ENABLED"]:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = url_for("studio.payouts", _external=True)
    try:
        ensure_payout_account(current_user, gateway())
        db.session.commit()  # the account is kept even if the link cannot be made now
        url = onboarding_link(current_user, gateway(), back)
    except PaymentError as exc:
        db.session.rollback()
        flash(exc.user_message, "error")
        return redirect(url_for("studio.payouts"))
    return redirect(url)
