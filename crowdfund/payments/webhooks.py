"""``POST /webhooks/stripe``: verified on the raw body, or refused with 400."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from crowdfund.extensions import csrf, db
from crowdfund.payments import gateway
from crowdfund.payments.events import record_and_dispatch
from crowdfund.payments.gateway import WebhookMalformed, WebhookSignatureInvalid

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("crowdfund.webhooks")


@bp.post("/webhooks/stripe")
@csrf.exempt  # signed by the gateway instead (like auth.unsubscribe: a signed token)
def stripe_webhook():
    payload = request.get_data(cache=False)
    try:
        event = gateway().construct_event(payload, request.headers.get("Stripe-Signature"))
    except WebhookSignatureInvalid as exc:
        return jsonify(error="invalid signature", detail=str(exc)), 400
    except WebhookMalformed as exc:
        # Signed, so it came from the gateway: worth a look, but never a 500 (which the
        # gateway would retry for days).
        log.warning("webhook refused: %s", exc)
        return jsonify(error="malformed event", detail=str(exc)), 400
    outcome = record_and_dispatch(event, gateway())
    db.session.commit()
    return jsonify(received=True, outcome=outcome)
