"""Payments: the gateway contract, the Stripe adapter, the local sandbox, webhooks."""

from __future__ import annotations

from flask import Flask, current_app

from crowdfund.config import ConfigError
from crowdfund.payments.gateway import PaymentGateway


def init_app(app: Flask) -> None:
    """Build the configured gateway once per app (``PAYMENT_GATEWAY``: stripe or fake)."""
    kind = app.config["PAYMENT_GATEWAY"]
    if kind == "fake":
        from crowdfund.payments.fake import FakeGateway

        gateway: PaymentGateway = FakeGateway(app.config.get("STRIPE_WEBHOOK_SECRET")
                                              or "whsec_fake")
    elif kind == "stripe":
        from crowdfund.payments.stripe_gateway import StripeGateway

        if not app.config.get("STRIPE_SECRET_KEY") or not app.config.get(
            "STRIPE_PUBLISHABLE_KEY"
        ):
            raise ConfigError("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY are required.")
        if app.config["ENV_NAME"] == "production" and not app.config.get("STRIPE_WEBHOOK_SECRET"):
            raise ConfigError("STRIPE_WEBHOOK_SECRET is required in production.")
        gateway = StripeGateway(
            secret_key=app.config["STRIPE_SECRET_KEY"],
            publishable_key=app.config["STRIPE_PUBLISHABLE_KEY"],
            webhook_secret=app.config.get("STRIPE_WEBHOOK_SECRET"),
            api_base=app.config.get("STRIPE_API_BASE"),
            js_url=app.config["STRIPE_JS_URL"],
            max_network_retries=app.config["STRIPE_MAX_NETWORK_RETRIES"],
        )
    else:
        raise ConfigError(f"PAYMENT_GATEWAY={kind!r} is not 'stripe' or 'fake'.")
    app.extensions["payment_gateway"] = gateway


def gateway() -> PaymentGateway:
    """The current app's payment gateway."""
    return current_app.extensions["payment_gateway"]
