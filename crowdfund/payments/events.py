"""Webhook events: stored once by id, then handed to a handler that reads current state.

Deliveries repeat and arrive out of order, so a handler never trusts the event's copy of
an object: it looks the object up through the gateway (or our rows) and acts only if
there is still something to do.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.payments.gateway import PaymentError, PaymentGateway, WebhookEvent
from crowdfund.payments.models import WebhookEvent as WebhookEventRow

Handler = Callable[[WebhookEvent, PaymentGateway], str]
HANDLERS: dict[str, Handler] = {}


def handles(event_type: str):
    def register(fn: Handler) -> Handler:
        HANDLERS[event_type] = fn
        return fn

    return register


def record_and_dispatch(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """Store the event once; run its handler the first time only. Returns the outcome."""
    row = WebhookEventRow(event_id=event.id, type=event.type,
                          object_id=(event.object_id or "")[:255] or None)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return "duplicate"
    handler = HANDLERS.get(event.type)
    row.outcome = (handler(event, gateway) if handler else "no handler")[:200]
    return row.outcome


@handles("setup_intent.succeeded")
def _setup_intent_succeeded(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """The card was saved: activate the pledge if the browser did not get back to us."""
    from crowdfund.pledges.models import Pledge
    from crowdfund.pledges.services import confirm_card

    pledge = db.session.scalar(sa.select(Pledge).where(
        Pledge.setup_intent_id == event.object_id))
    if pledge is None:
        return "no pledge for this setup intent"
    if not pledge.is_open:
        return f"pledge {pledge.id} is {pledge.status.value}"
    try:
        changed = confirm_card(pledge, gateway)
    except (DomainError, PaymentError) as exc:
        return f"pledge {pledge.id}: {getattr(exc, 'message', None) or exc}"
    return f"pledge {pledge.id} confirmed" if changed else f"pledge {pledge.id} already done"


@handles("payment_intent.succeeded")
def _payment_intent_succeeded(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """A backer completed authentication but did not get back to our page: record it."""
    from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
    from crowdfund.settlement.services import record_outcome

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


@handles("charge.dispute.created")
def _dispute_created(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """A bank disputed a charge: the pledge is disputed, the ledger books the withdrawal."""
    from crowdfund.settlement.refunds import record_dispute

    dispute = record_dispute(event.object)
    if dispute is None:
        return "no collected pledge for this dispute (or already recorded)"
    return f"pledge {dispute.pledge_id} disputed"
