"""The gateway's webhook events about saved cards (registered in ``pledges.subscribers``)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.payments.gateway import PaymentError, PaymentGateway, WebhookEvent
from crowdfund.pledges.models import Pledge
from crowdfund.pledges.services import confirm_card


def setup_intent_succeeded(event: WebhookEvent, gateway: PaymentGateway) -> str:
    """The card was saved: activate the pledge if the browser did not get back to us."""
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
