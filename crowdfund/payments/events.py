"""Webhook events: stored once by id, then handed to a handler that reads current state.

Deliveries repeat and arrive out of order, so a handler never trusts the event's copy of
an object: it looks the object up through the gateway (or our rows) and acts only if
there is still something to do.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from crowdfund.extensions import db
from crowdfund.payments.gateway import PaymentGateway, WebhookEvent
from crowdfund.payments.models import WebhookEvent as WebhookEventRow

Handler = Callable[[WebhookEvent, PaymentGateway], str]
#: One handler per event type, registered by the feature that owns what the event is
#: about (``pledges.subscribers``: a saved card; ``settlement.subscribers``: charges and
#: disputes): payments knows nothing of pledges or charges.
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
