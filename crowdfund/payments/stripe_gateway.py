"""The Stripe adapter: the only module that imports ``stripe``.

It maps Stripe's objects to our dataclasses and Stripe's errors to our exception
hierarchy; every call that creates something takes an idempotency key built by the caller
from our own rows.
"""

from __future__ import annotations

from typing import Any

import stripe

from crowdfund.money import Money
from crowdfund.payments.gateway import (
    AuthenticationRequired,
    CardDeclined,
    CardInfo,
    ConnectedAccount,
    GatewayUnavailable,
    InvalidRequest,
    PaymentError,
    PaymentIntentInfo,
    RateLimited,
    RefundInfo,
    SetupIntentInfo,
    WebhookEvent,
    WebhookSignatureInvalid,
)

#: Stripe's default signature tolerance (seconds).
WEBHOOK_TOLERANCE = 300


def _translate(error: stripe.StripeError) -> PaymentError:
    """A stripe error as one of ours."""
    code = getattr(error, "code", None)
    message = getattr(error, "user_message", None) or str(error)
    if isinstance(error, stripe.CardError):
        if code == "authentication_required":
            body = (getattr(error, "json_body", None) or {}).get("error") or {}
            intent = (body.get("payment_intent") or {}).get("id")
            return AuthenticationRequired(message, code=code, payment_intent_id=intent)
        return CardDeclined(message, code=code or "card_declined", user_message=message)
    if isinstance(error, stripe.RateLimitError):
        return RateLimited(message, code=code)
    if isinstance(error, stripe.APIConnectionError):
        return GatewayUnavailable(message, code=code)
    if isinstance(error, stripe.IdempotencyError):  # same key, other parameters: our bug
        return InvalidRequest(message, code=code or "idempotency_error")
    if isinstance(error, stripe.InvalidRequestError):
        if getattr(error, "http_status", None) == 429 or code == "rate_limit":
            return RateLimited(message, code=code)
        return InvalidRequest(message, code=code)
    if isinstance(error, stripe.APIError) or (getattr(error, "http_status", 0) or 0) >= 500:
        return GatewayUnavailable(message, code=code)
    return PaymentError(message, code=code)


def _setup_intent(data: dict[str, Any]) -> SetupIntentInfo:
    error = data.get("last_setup_error") or {}
    payment_method = data.get("payment_method")
    if isinstance(payment_method, dict):
        payment_method = payment_method.get("id")
    return SetupIntentInfo(
        id=data["id"], status=data["status"], client_secret=data.get("client_secret") or "",
        customer_id=data.get("customer"), payment_method_id=payment_method,
        metadata=dict(data.get("metadata") or {}), error_message=error.get("message"),
    )


def _payment_intent(data: dict[str, Any]) -> PaymentIntentInfo:
    error = data.get("last_payment_error") or {}
    currency = str(data["currency"]).upper()
    return PaymentIntentInfo(
        id=data["id"], status=data["status"], amount=Money(int(data["amount"]), currency),
        client_secret=data.get("client_secret") or "", metadata=dict(data.get("metadata") or {}),
        error_code=error.get("code"), error_message=error.get("message"),
    )


def _card(data: dict[str, Any]) -> CardInfo:
    card = data.get("card") or {}
    return CardInfo(
        payment_method_id=data["id"], customer_id=data.get("customer"),
        brand=str(card.get("brand") or "card"), last4=str(card.get("last4") or "????"),
        exp_month=int(card.get("exp_month") or 0), exp_year=int(card.get("exp_year") or 0),
    )


class StripeGateway:
    """PaymentGateway over Stripe's API (or the local sandbox, given its base URL)."""

    def __init__(self, *, secret_key: str, publishable_key: str, webhook_secret: str | None,
                 api_base: str | None = None, js_url: str = "https://js.stripe.com/v3/",
                 max_network_retries: int = 2) -> None:
        options: dict[str, Any] = {"max_network_retries": max_network_retries}
        if api_base:
            options["base_addresses"] = {"api": api_base}
        self._client = stripe.StripeClient(secret_key, **options)
        self._webhook_secret = webhook_secret
        self.publishable_key = publishable_key
        self.js_url = js_url
        #: None for Stripe itself; the sandbox's address otherwise.
        self.api_base = api_base

    def _call(self, fn, *args, **kwargs) -> dict[str, Any]:
        try:
            return fn(*args, **kwargs).to_dict()
        except stripe.StripeError as error:
            raise _translate(error) from error

    def create_customer(self, *, email: str, name: str, idempotency_key: str) -> str:
        data = self._call(self._client.v1.customers.create,
                          params={"email": email, "name": name},
                          options={"idempotency_key": idempotency_key})
        return data["id"]

    def create_setup_intent(self, *, customer_id: str, metadata: dict[str, str],
                            idempotency_key: str) -> SetupIntentInfo:
        data = self._call(
            self._client.v1.setup_intents.create,
            params={"customer": customer_id, "usage": "off_session",
                    "payment_method_types": ["card"], "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return _setup_intent(data)

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo:
        return _setup_intent(self._call(self._client.v1.setup_intents.retrieve, setup_intent_id))

    def card(self, payment_method_id: str) -> CardInfo:
        return _card(self._call(self._client.v1.payment_methods.retrieve, payment_method_id))

    def attach_payment_method(self, payment_method_id: str, customer_id: str) -> CardInfo:
        return _card(self._call(self._client.v1.payment_methods.attach, payment_method_id,
                                params={"customer": customer_id}))

    def detach_payment_method(self, payment_method_id: str) -> None:
        self._call(self._client.v1.payment_methods.detach, payment_method_id)

    def charge_off_session(self, *, amount: Money, customer_id: str, payment_method_id: str,
                           metadata: dict[str, str], idempotency_key: str) -> PaymentIntentInfo:
        # Our minor units are Stripe's "smallest currency unit" for every currency we accept.
        data = self._call(
            self._client.v1.payment_intents.create,
            params={"amount": amount.amount, "currency": amount.currency.lower(),
                    "customer": customer_id, "payment_method": payment_method_id,
                    "off_session": True, "confirm": True, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return _payment_intent(data)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        return _payment_intent(self._call(self._client.v1.payment_intents.retrieve,
                                          payment_intent_id))

    def find_payment_intents(self, *, customer_id: str,
                             metadata: dict[str, str]) -> list[PaymentIntentInfo]:
        # Stripe lists a customer's PaymentIntents; the sandbox cannot filter by customer
        # (400), so there every PaymentIntent is listed and filtered here.
        found = []
        try:
            try:
                pages = self._client.v1.payment_intents.list(
                    params={"customer": customer_id, "limit": 100})
            except stripe.InvalidRequestError:
                pages = self._client.v1.payment_intents.list(params={"limit": 100})
            for item in pages.auto_paging_iter():
                data = item.to_dict()
                meta = data.get("metadata") or {}
                if data.get("customer") == customer_id and all(
                        meta.get(k) == v for k, v in metadata.items()):
                    found.append(_payment_intent(data))
        except stripe.StripeError as error:
            raise _translate(error) from error
        return found

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        return _payment_intent(self._call(self._client.v1.payment_intents.cancel,
                                          payment_intent_id))

    def refund(self, *, payment_intent_id: str, amount: Money, metadata: dict[str, str],
               idempotency_key: str) -> RefundInfo:
        data = self._call(self._client.v1.refunds.create,
                          params={"payment_intent": payment_intent_id, "amount": amount.amount,
                                  "metadata": metadata},
                          options={"idempotency_key": idempotency_key})
        return RefundInfo(id=data["id"], status=data.get("status") or "succeeded",
                          amount=Money(int(data["amount"]), str(data["currency"]).upper()))

    # --- Connect ---------------------------------------------------------------------------

    def create_connected_account(self, *, email: str, country: str | None,
                                 idempotency_key: str) -> str:
        params: dict[str, Any] = {"type": "express", "email": email,
                                  "capabilities": {"transfers": {"requested": True}}}
        if country:
            params["country"] = country
        data = self._call(self._client.v1.accounts.create, params=params,
                          options={"idempotency_key": idempotency_key})
        return data["id"]

    def account_onboarding_link(self, account_id: str, *, refresh_url: str,
                                return_url: str) -> str:
        data = self._call(self._client.v1.account_links.create,
                          params={"account": account_id, "refresh_url": refresh_url,
                                  "return_url": return_url, "type": "account_onboarding"})
        return data["url"]

    def retrieve_connected_account(self, account_id: str) -> ConnectedAccount:
        data = self._call(self._client.v1.accounts.retrieve, account_id)
        return ConnectedAccount(id=data["id"], payouts_enabled=bool(data.get("payouts_enabled")),
                                details_submitted=bool(data.get("details_submitted")))

    def transfer(self, *, amount: Money, destination: str, metadata: dict[str, str],
                 idempotency_key: str) -> str:
        data = self._call(self._client.v1.transfers.create,
                          params={"amount": amount.amount, "currency": amount.currency.lower(),
                                  "destination": destination, "metadata": metadata},
                          options={"idempotency_key": idempotency_key})
        return data["id"]

    def construct_event(self, payload: bytes, signature: str | None) -> WebhookEvent:
        if not self._webhook_secret:
            raise WebhookSignatureInvalid("No webhook secret is configured.")
        if not signature:
            raise WebhookSignatureInvalid("No Stripe-Signature header.")
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(text, signature, self._webhook_secret,
                                                  tolerance=WEBHOOK_TOLERANCE)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise WebhookSignatureInvalid(str(error)) from error
        return WebhookEvent.parse(text)  # signed by Stripe, but checked for shape all the same
