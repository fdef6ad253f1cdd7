"""The payment gateway contract: typed results, typed errors, one Protocol.

Everything outside ``stripe_gateway.py`` talks to a :class:`PaymentGateway`; amounts cross
this boundary as :class:`~crowdfund.money.Money` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from crowdfund.money import Money
from crowdfund.payments import card_errors
from crowdfund.payments.listings import (
    BalanceTransactionInfo,
    ChargeInfo,
    Page,
    TransferInfo,
    metadata_id,
)


class PaymentError(Exception):
    """A gateway call failed; ``user_message`` is safe to show to the person paying. The
    exception's own text (the gateway's, in English) is for logs and operators."""

    #: What the person reads when the codes say nothing more (translated when shown).
    default_message = card_errors.SERVICE_FAILED

    def __init__(self, message: str = "", *, code: str | None = None,
                 decline_code: str | None = None, user_message=None) -> None:
        super().__init__(message or code or type(self).__name__)
        self.code = code
        #: The bank's reason for refusing a card (Stripe's ``decline_code``), if it gave one.
        self.decline_code = decline_code
        self._user_message = user_message

    @property
    def user_message(self) -> str:
        """Our own sentence for the gateway's codes (``card_errors``), in the reader's
        language: never the gateway's English."""
        if self._user_message is not None:
            return str(self._user_message)
        return (card_errors.message_for(self.decline_code, self.code)
                or str(self.default_message))


class CardDeclined(PaymentError):
    """The card was refused (declined, expired, wrong CVC...)."""

    default_message = card_errors.DECLINED


class AuthenticationRequired(PaymentError):
    """The bank wants the cardholder to authenticate (3-D Secure) on-session."""

    default_message = card_errors.AUTHENTICATE

    def __init__(self, *args, payment_intent_id: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: The PaymentIntent to complete on-session, when the gateway made one.
        self.payment_intent_id = payment_intent_id


class RateLimited(PaymentError):
    """Too many requests: back off and retry."""


class GatewayUnavailable(PaymentError):
    """Network error or a 5xx from the gateway: safe to retry with the same idempotency key."""


class InvalidRequest(PaymentError):
    """The gateway refused our parameters (a bug on our side, or a stale id)."""


class WebhookSignatureInvalid(PaymentError):
    """The payload was not signed with our secret, or is too old."""


class WebhookMalformed(PaymentError):
    """A correctly signed payload that is not an event we can read (not a JSON object, no
    ``id`` or ``type``, ``data`` not an object)."""


@dataclass(frozen=True)
class SetupIntentInfo:
    """A SetupIntent as the gateway reports it (we never trust the browser's word)."""

    id: str
    status: str
    client_secret: str
    customer_id: str | None
    payment_method_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    #: The gateway's message when the last attempt failed (English: for logs).
    error_message: str | None = None
    #: The gateway's code for that failure, and the bank's decline code, if given.
    error_code: str | None = None
    decline_code: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def user_message(self) -> str | None:
        """Why the card was not set up, for the person paying, in their language (None when
        no attempt failed)."""
        if not (self.error_code or self.error_message):
            return None
        return card_errors.message_for(self.decline_code, self.error_code) or str(
            card_errors.DECLINED)


@dataclass(frozen=True)
class CardInfo:
    """What we keep of a card: never its number."""

    payment_method_id: str
    customer_id: str | None
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class PaymentIntentInfo:
    """A charge as the gateway reports it."""

    id: str
    status: str
    amount: Money
    client_secret: str
    metadata: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    #: Read back from a list or a look-up (None where the answer does not say).
    created: datetime | None = None
    customer_id: str | None = None
    #: Its latest charge (what balance transactions name as their source).
    charge_id: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def needs_authentication(self) -> bool:
        return self.status == "requires_action"

    @property
    def pledge_id(self) -> int | None:
        """The pledge our metadata names (None for a PaymentIntent that is not ours)."""
        return metadata_id(self.metadata, "pledge_id")

    @property
    def attempt_no(self) -> int | None:
        return metadata_id(self.metadata, "attempt")


@dataclass(frozen=True)
class RefundInfo:
    """A refund at the gateway."""

    id: str
    status: str  # "succeeded", "pending", "failed", ...
    amount: Money
    payment_intent_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created: datetime | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "canceled")

    @property
    def refund_row_id(self) -> int | None:
        """Our ``refunds`` row the metadata names (None for a refund we did not make)."""
        return metadata_id(self.metadata, "refund_id")


@dataclass(frozen=True)
class ConnectedAccount:
    """A founder's Connect account, as far as payouts are concerned."""

    id: str
    payouts_enabled: bool
    details_submitted: bool


class ConnectUnsupported(PaymentError):
    """This gateway cannot pay founders (no Connect): payouts are made by hand."""


def is_gateway_id(value: object, max_length: int = 255) -> bool:
    """An id as a payment service writes them ("evt_1Ab...", "pi_..."): printable ASCII.
    Anything else in an event is not looked up (PostgreSQL refuses NUL, for one)."""
    return (isinstance(value, str) and 0 < len(value) <= max_length and value.isascii()
            and value.isprintable())


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook event."""

    id: str
    type: str
    object: dict[str, Any]
    created: int

    @property
    def object_id(self) -> str | None:
        """The id of the object the event is about, when it is a string."""
        value = self.object.get("id")
        return value if is_gateway_id(value) else None

    @classmethod
    def parse(cls, payload: bytes | str) -> WebhookEvent:
        """A verified payload as an event, checked for shape; ``WebhookMalformed`` if not."""
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as error:
            raise WebhookMalformed(f"not JSON: {error}") from None
        if not isinstance(data, dict):
            raise WebhookMalformed(f"the event is a JSON {type(data).__name__}, not an object")
        event_id, event_type = data.get("id"), data.get("type")
        if not is_gateway_id(event_id):
            raise WebhookMalformed("the event has no usable id")
        if not is_gateway_id(event_type, 100):
            raise WebhookMalformed("the event has no usable type")
        body = data.get("data", {})
        obj = body.get("object", {}) if isinstance(body, dict) else None
        if not isinstance(obj, dict):
            raise WebhookMalformed("the event's data.object is not an object")
        created = data.get("created", 0)
        if not isinstance(created, int) or isinstance(created, bool):
            created = 0
        return cls(id=event_id, type=event_type, object=obj, created=created)


@runtime_checkable
class PaymentGateway(Protocol):
    """What the platform needs from a payment service."""

    #: Shown to the browser: publishable key and the Stripe.js URL.
    publishable_key: str
    js_url: str
    #: Where the API is when it is not Stripe's (the sandbox): the page may call it.
    api_base: str | None

    def create_customer(self, *, email: str, name: str, idempotency_key: str) -> str:
        """A customer to save cards on; returns its id."""
        ...

    def create_setup_intent(self, *, customer_id: str, metadata: dict[str, str],
                            idempotency_key: str,
                            payment_method_id: str | None = None) -> SetupIntentInfo:
        """A SetupIntent for saving a card for later off-session charges. With
        ``payment_method_id`` (a card saved on ``customer_id``): confirmed on the server at
        once, so it comes back ``succeeded``, or ``requires_action`` when the bank asks for
        3-D Secure again (the page runs it); a refused card raises CardDeclined."""
        ...

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo: ...

    def card(self, payment_method_id: str) -> CardInfo:
        """Brand, last 4 and expiry of a saved card."""
        ...

    def attach_payment_method(self, payment_method_id: str, customer_id: str) -> CardInfo: ...

    def detach_payment_method(self, payment_method_id: str) -> None: ...

    def list_cards(self, customer_id: str) -> list[CardInfo]:
        """The cards attached to ``customer_id``: the backer's saved cards (the gateway is
        the truth about which cards are saved)."""
        ...

    def charge_off_session(self, *, amount: Money, customer_id: str, payment_method_id: str,
                           metadata: dict[str, str], idempotency_key: str) -> PaymentIntentInfo:
        """Charge a saved card now, without the cardholder (a PaymentIntent confirmed
        off-session). Raises CardDeclined, AuthenticationRequired, RateLimited,
        GatewayUnavailable."""
        ...

    def charge_on_session(self, *, amount: Money, customer_id: str, payment_method_id: str,
                          metadata: dict[str, str], idempotency_key: str) -> PaymentIntentInfo:
        """Charge a card now with the cardholder present (a late pledge): a PaymentIntent
        confirmed on-session; ``requires_action`` when the bank asks for 3-D Secure, which
        the browser completes with Stripe.js (``confirmCardPayment``) and the server reads
        back. Raises CardDeclined, RateLimited, GatewayUnavailable."""
        ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo: ...

    def find_payment_intents(self, *, customer_id: str,
                             metadata: dict[str, str]) -> list[PaymentIntentInfo]:
        """The customer's PaymentIntents whose metadata has every pair of ``metadata``: how a
        charge whose answer we never recorded is found after the replay window."""
        ...

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        """Cancel an unfinished PaymentIntent (so that it can never be completed later)."""
        ...

    def refund(self, *, payment_intent_id: str, amount: Money, metadata: dict[str, str],
               idempotency_key: str) -> RefundInfo:
        """Give back ``amount`` of a succeeded PaymentIntent."""
        ...

    # Connect (founders' payouts). Gateways without it raise ConnectUnsupported.

    def create_connected_account(self, *, email: str, country: str | None,
                                 idempotency_key: str) -> str:
        """An Express account for a founder; returns its id."""
        ...

    def account_onboarding_link(self, account_id: str, *, refresh_url: str,
                                return_url: str) -> str:
        """A one-time URL where the founder completes onboarding at the gateway."""
        ...

    def retrieve_connected_account(self, account_id: str) -> ConnectedAccount: ...

    def transfer(self, *, amount: Money, destination: str, metadata: dict[str, str],
                 idempotency_key: str) -> str:
        """Move ``amount`` from the platform's balance to a connected account; its id."""
        ...

    def construct_event(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """Verify and parse a webhook delivery; raises WebhookSignatureInvalid."""
        ...

    # The gateway's own record, one page (newest first) per call: reconciliation
    # (docs/money.md#reconciliation-with-the-gateway). ``created_gte``/``created_lt``
    # bound when the objects were made; ``starting_after`` is the previous page's last id.

    def list_payment_intents(self, *, created_gte: datetime, created_lt: datetime,
                             starting_after: str | None = None) -> Page[PaymentIntentInfo]: ...

    def list_charges(self, *, created_gte: datetime, created_lt: datetime,
                     starting_after: str | None = None) -> Page[ChargeInfo]: ...

    def list_refunds(self, *, created_gte: datetime | None = None,
                     created_lt: datetime | None = None, payment_intent_id: str | None = None,
                     starting_after: str | None = None) -> Page[RefundInfo]:
        """Refunds made in a period, or (``payment_intent_id``) of one PaymentIntent."""
        ...

    def list_transfers(self, *, created_gte: datetime | None = None,
                       created_lt: datetime | None = None, destination: str | None = None,
                       starting_after: str | None = None) -> Page[TransferInfo]:
        """Connect transfers made in a period (to ``destination`` only, when given);
        ConnectUnsupported without Connect."""
        ...

    def list_balance_transactions(self, *, created_gte: datetime, created_lt: datetime,
                                  starting_after: str | None = None,
                                  ) -> Page[BalanceTransactionInfo]: ...

    def retrieve_refund(self, refund_id: str) -> RefundInfo: ...

    def retrieve_transfer(self, transfer_id: str) -> TransferInfo: ...
