"""The Stripe adapter: the only module that imports ``stripe``.

It maps Stripe's objects to our dataclasses and Stripe's errors to our exception
hierarchy; every call that creates something takes an idempotency key built by the caller
from our own rows.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
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
from crowdfund.payments.listings import (
    PAGE_SIZE,
    BalanceTransactionInfo,
    ChargeInfo,
    Page,
    TransferInfo,
)

#: Stripe's default signature tolerance (seconds).
WEBHOOK_TOLERANCE = 300


def _translate(error: stripe.StripeError) -> PaymentError:
    """A stripe error as one of ours. Stripe's message (English) stays the exception's
    text, for logs and operators; the person paying reads our own sentence for its codes
    (``PaymentError.user_message``)."""
    code = getattr(error, "code", None)
    message = getattr(error, "user_message", None) or str(error)
    if isinstance(error, stripe.CardError):
        body = (getattr(error, "json_body", None) or {}).get("error") or {}
        decline_code = body.get("decline_code") or getattr(error, "decline_code", None)
        if code == "authentication_required":
            intent = (body.get("payment_intent") or {}).get("id")
            return AuthenticationRequired(message, code=code, decline_code=decline_code,
                                          payment_intent_id=intent)
        return CardDeclined(message, code=code or "card_declined", decline_code=decline_code)
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
        error_code=error.get("code"), decline_code=error.get("decline_code"),
    )


def _id(value: Any) -> str | None:
    """An id Stripe wrote as a string, or inside an expanded object (the sandbox expands
    ``latest_charge``)."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _when(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _money(data: dict[str, Any], key: str = "amount") -> Money:
    # Our minor units are Stripe's "smallest currency unit" for every currency we accept.
    return Money(int(data.get(key) or 0), str(data["currency"]).upper())


def _payment_intent(data: dict[str, Any]) -> PaymentIntentInfo:
    error = data.get("last_payment_error") or {}
    return PaymentIntentInfo(
        id=data["id"], status=data["status"], amount=_money(data),
        client_secret=data.get("client_secret") or "", metadata=dict(data.get("metadata") or {}),
        error_code=error.get("code"), error_message=error.get("message"),
        created=_when(data.get("created")), customer_id=_id(data.get("customer")),
        charge_id=_id(data.get("latest_charge")),
    )


def _refund(data: dict[str, Any]) -> RefundInfo:
    return RefundInfo(id=data["id"], status=data.get("status") or "succeeded",
                      amount=_money(data), payment_intent_id=_id(data.get("payment_intent")),
                      metadata=dict(data.get("metadata") or {}),
                      created=_when(data.get("created")))


def _charge(data: dict[str, Any]) -> ChargeInfo:
    return ChargeInfo(id=data["id"], status=data.get("status") or "", amount=_money(data),
                      payment_intent_id=_id(data.get("payment_intent")),
                      created=_when(data.get("created")),
                      refunded_minor=int(data.get("amount_refunded") or 0))


def _transfer(data: dict[str, Any]) -> TransferInfo:
    return TransferInfo(id=data["id"], amount=_money(data),
                        destination=_id(data.get("destination")),
                        created=_when(data.get("created")),
                        metadata=dict(data.get("metadata") or {}),
                        reversed_minor=int(data.get("amount_reversed") or 0))


def _balance_transaction(data: dict[str, Any]) -> BalanceTransactionInfo:
    return BalanceTransactionInfo(id=data["id"], type=str(data.get("type") or ""),
                                  amount=_money(data), fee=_money(data, "fee"),
                                  source_id=_id(data.get("source")),
                                  created=_when(data.get("created")))


def _period(gte: datetime | None, lt: datetime | None, after: str | None) -> dict[str, Any]:
    """A list request's parameters: a page of PAGE_SIZE, newest first, in a period."""
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    # Stripe's times are whole seconds: the period is widened to whole seconds.
    created = {key: rounded(when.timestamp()) for key, when, rounded in (
        ("gte", gte, math.floor), ("lt", lt, math.ceil)) if when}
    if created:
        params["created"] = created
    if after:
        params["starting_after"] = after
    return params


def _card(data: dict[str, Any]) -> CardInfo:
    card = data.get("card") or {}
    return CardInfo(
        payment_method_id=data["id"], customer_id=_id(data.get("customer")),
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
                            idempotency_key: str,
                            payment_method_id: str | None = None) -> SetupIntentInfo:
        params: dict[str, Any] = {"customer": customer_id, "usage": "off_session",
                                  "payment_method_types": ["card"], "metadata": metadata}
        if payment_method_id:  # a saved card, confirmed here (3-D Secure: requires_action)
            params.update(payment_method=payment_method_id, confirm=True)
        data = self._call(self._client.v1.setup_intents.create, params=params,
                          options={"idempotency_key": idempotency_key})
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

    def list_cards(self, customer_id: str) -> list[CardInfo]:
        try:
            pages = self._client.v1.payment_methods.list(
                params={"customer": customer_id, "type": "card", "limit": 100})
            return [_card(item.to_dict()) for item in pages.auto_paging_iter()]
        except stripe.StripeError as error:
            raise _translate(error) from error

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

    def charge_on_session(self, *, amount: Money, customer_id: str, payment_method_id: str,
                          metadata: dict[str, str], idempotency_key: str) -> PaymentIntentInfo:
        # On-session (no ``off_session``): a bank that asks for 3-D Secure gets it from the
        # backer in the browser; only cards, so that no redirect method needs a return URL.
        data = self._call(
            self._client.v1.payment_intents.create,
            params={"amount": amount.amount, "currency": amount.currency.lower(),
                    "customer": customer_id, "payment_method": payment_method_id,
                    "payment_method_types": ["card"], "confirm": True, "metadata": metadata},
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
        return _refund(data)

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

    # --- the gateway's record, a page at a time (reconciliation) ------------------------

    def _page(self, service, params: dict[str, Any], convert) -> Page:
        data = self._call(service.list, params=params)
        return Page(items=[convert(item) for item in data.get("data") or []],
                    has_more=bool(data.get("has_more")))

    def list_payment_intents(self, *, created_gte: datetime, created_lt: datetime,
                             starting_after: str | None = None) -> Page[PaymentIntentInfo]:
        return self._page(self._client.v1.payment_intents,
                          _period(created_gte, created_lt, starting_after), _payment_intent)

    def list_charges(self, *, created_gte: datetime, created_lt: datetime,
                     starting_after: str | None = None) -> Page[ChargeInfo]:
        return self._page(self._client.v1.charges,
                          _period(created_gte, created_lt, starting_after), _charge)

    def list_refunds(self, *, created_gte: datetime | None = None,
                     created_lt: datetime | None = None, payment_intent_id: str | None = None,
                     starting_after: str | None = None) -> Page[RefundInfo]:
        params = _period(created_gte, created_lt, starting_after)
        if payment_intent_id:
            params["payment_intent"] = payment_intent_id
        return self._page(self._client.v1.refunds, params, _refund)

    def list_transfers(self, *, created_gte: datetime | None = None,
                       created_lt: datetime | None = None, destination: str | None = None,
                       starting_after: str | None = None) -> Page[TransferInfo]:
        params = _period(created_gte, created_lt, starting_after)
        if destination:
            params["destination"] = destination
        return self._page(self._client.v1.transfers, params, _transfer)

    def list_balance_transactions(self, *, created_gte: datetime, created_lt: datetime,
                                  starting_after: str | None = None,
                                  ) -> Page[BalanceTransactionInfo]:
        return self._page(self._client.v1.balance_transactions,
                          _period(created_gte, created_lt, starting_after),
                          _balance_transaction)

    def retrieve_refund(self, refund_id: str) -> RefundInfo:
        return _refund(self._call(self._client.v1.refunds.retrieve, refund_id))

    def retrieve_transfer(self, transfer_id: str) -> TransferInfo:
        return _transfer(self._call(self._client.v1.transfers.retrieve, transfer_id))
