"""The gateway's webhook events about charges and disputes (registered in
``settlement.subscribers``)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.payments.gateway import PaymentError, PaymentGateway, WebhookEvent
from crowdfund.settlement.disputes import follow
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
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


def dispute_event(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """Any ``charge.dispute.*`` event: the dispute moves forward from what its object says
    now (``settlement.disputes``); no gateway call needed."""
    return follow(event.type, event.object, why=f"{event.type} ({event.id})")
