"""The operators' disputes page: open disputes by their evidence deadline (overdue ones
flagged), decided ones with their outcome, and founders whose paid-out campaigns owe or are
owed money since (docs/operations.md#answering-a-dispute-before-its-deadline)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import selectinload

from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.operators import bp
from crowdfund.pledges.models import Pledge
from crowdfund.settlement import balances
from crowdfund.settlement.disputes import closed_disputes, dashboard_url, open_disputes

#: The reasons a bank gives for a dispute, as the payment service names them (Stripe's
#: ``dispute.reason``); another one is shown as it came.
REASONS = {
    "bank_cannot_process": _l("Bank cannot process"),
    "check_returned": _l("Check returned"),
    "credit_not_processed": _l("Refund not processed"),
    "customer_initiated": _l("Started by the customer"),
    "debit_not_authorized": _l("Debit not authorized"),
    "duplicate": _l("Duplicate charge"),
    "fraudulent": _l("Fraudulent"),
    "general": _l("General"),
    "incorrect_account_details": _l("Incorrect account details"),
    "insufficient_funds": _l("Insufficient funds"),
    "product_not_received": _l("Product not received"),
    "product_unacceptable": _l("Product unacceptable"),
    "subscription_canceled": _l("Subscription cancelled"),
    "unrecognized": _l("Charge not recognized"),
}


@bp.get("/disputes")
def disputes():
    open_rows, closed_rows = open_disputes(), closed_disputes()
    rows = open_rows + closed_rows
    pledges = {p.id: p for p in db.session.scalars(
        sa.select(Pledge).where(Pledge.id.in_({d.pledge_id for d in rows}))
        .options(selectinload(Pledge.backer)))}
    campaigns = {c.id: c for c in db.session.scalars(
        sa.select(Campaign).where(Campaign.id.in_({d.campaign_id for d in rows})))}
    return render_template("operators/disputes.html", open_disputes=open_rows,
                           closed_disputes=closed_rows, pledges=pledges, campaigns=campaigns,
                           dashboard={d.id: dashboard_url(d) for d in rows}, reasons=REASONS,
                           balances=balances.founders_with_balances())
