"""What settlement handles from outside: the gateway's webhook events about charges, and
the ledger's check against what settlement did."""

from __future__ import annotations

from crowdfund.ledger.services import checked_against
from crowdfund.payments.events import handles
from crowdfund.settlement import privacy as settlement_privacy
from crowdfund.settlement import reconciliation, webhooks


def register() -> None:
    settlement_privacy.register()
    handles("payment_intent.succeeded")(webhooks.payment_intent_succeeded)
    handles("charge.dispute.created")(webhooks.dispute_created)
    checked_against("settlement", reconciliation.problems)
