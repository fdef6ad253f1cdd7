"""What settlement handles from outside: the gateway's webhook events about charges, and
the ledger's check against what settlement did."""

from __future__ import annotations

from crowdfund.ledger.services import checked_against
from crowdfund.payments.events import handles
from crowdfund.pledges.terms import after_charge_told_by
from crowdfund.settlement import disputes, reconciliation, webhooks
from crowdfund.settlement import privacy as settlement_privacy


def register() -> None:
    settlement_privacy.register()
    handles("payment_intent.succeeded")(webhooks.payment_intent_succeeded)
    for event_type in disputes.EVENT_TYPES:
        handles(event_type)(webhooks.dispute_event)
    after_charge_told_by(disputes.pledge_page_rows)
    checked_against("settlement", reconciliation.problems)
