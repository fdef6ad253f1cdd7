"""``POST /webhooks/stripe``: verified on the raw body, or refused with 400."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from crowdfund.extensions import csrf, db
from crowdfund.payments import gateway
from crowdfund.payments.events import record_and_dispatch
from crowdfund.payments.gateway import WebhookSignatureInvalid

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/stripe")
@csrf.exempt  # signed by the gateway instead; the only route without CSRF
def stripe_webhook():
    payload = request.get_data(cache=False)
    try:
        event = gateway().construct_event(payload, request.headers.get("Stripe-Signature"))
    except WebhookSignatureInvalid as exc:
        return jsonify(error="invalid signature", detail=str(exc)), 400
    outcome = record_and_dispatch(event, gateway())
    db.session.commit()
    return jsonify(received=True, outcome=outcome)
