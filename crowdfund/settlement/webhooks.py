"""The gateway's webhook events about charges and disputes (registered in
``settlement.subscribers``)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.payments.gateway import PaymentError, PaymentGateway, WebhookEvent
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.settlement.refunds import record_dispute
from crowdfund.settlement.services import record_outcome


def payment_intent_succeeded(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """A backer completed authentication but did not get back to our page: record it."""
    attempt = db.session.scalar(sa.select(ChargeAttempt).where(
        ChargeAttempt.payment_intent_id == event.object_id))
    if attempt is None:
        return "no charge attempt for this payment intent"
    if attempt.status is not ChargeStatus.REQUIRES_ACTION:
        return f"attempt {attempt.id} is {attempt.status.value}"
    try:
        info = gateway.retrieve_payment_intent(attempt.payment_intent_id)
    except PaymentError as exc:
        return f"attempt {attempt.id}: {exc}"
    return f"attempt {attempt.id}: {record_outcome(attempt, info)}"


def dispute_created(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """A bank disputed a charge: the pledge is disputed, the ledger books the withdrawal."""
    dispute = record_dispute(event.object)
    if dispute is None:
        return "no collected pledge for this dispute (or already recorded)"
    return f"pledge {dispute.pledge_id} disputed"
