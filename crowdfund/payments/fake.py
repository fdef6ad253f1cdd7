"""An in-process PaymentGateway for unit tests: same contract, no network.

Tests play the browser's part with :meth:`FakeGateway.confirm_setup` (Stripe's test card
numbers behave as on Stripe) and sign webhook payloads with :meth:`FakeGateway.sign`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time

from crowdfund.money import Money
from crowdfund.payments.fake_lists import FakeListings, now
from crowdfund.payments.gateway import (
    CardDeclined,
    CardInfo,
    ConnectedAccount,
    ConnectUnsupported,
    InvalidRequest,
    PaymentIntentInfo,
    RefundInfo,
    SetupIntentInfo,
    WebhookEvent,
    WebhookSignatureInvalid,
)

DECLINED_AT_SETUP = {"4000000000000002"}
NEEDS_3DS = {"4000002500003155"}


class FakeGateway(FakeListings):
    """Customers, SetupIntents and cards kept in dictionaries; what the gateway recorded
    (charges, balance transactions, lists) in ``FakeListings``."""

    publishable_key = "pk_test_fake"
    js_url = ""  # no browser script: tests play the browser with confirm_setup()
    api_base = None

    def __init__(self, webhook_secret: str = "whsec_fake") -> None:  # noqa: S107
        self.webhook_secret = webhook_secret
        self._ids = itertools.count(1)
        self.customers: dict[str, dict] = {}
        self.setup_intents: dict[str, dict] = {}
        self.cards: dict[str, dict] = {}
        self.idempotent: dict[str, object] = {}
        self.payment_intents: dict[str, dict] = {}
        self.calls: list[str] = []
        self.refunds: dict[str, dict] = {}
        #: Connect: off unless a test turns it on (the sandbox has none either).
        self.connect = False
        self.accounts: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self._init_listings()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids)}"

    def _replay(self, key: str, make):
        if key not in self.idempotent:
            self.idempotent[key] = make()
        return self.idempotent[key]

    def create_customer(self, *, email: str, name: str, idempotency_key: str) -> str:
        self.calls.append("create_customer")

        def make():
            cid = self._id("cus")
            self.customers[cid] = {"email": email, "name": name}
            return cid

        return self._replay(idempotency_key, make)

    def create_setup_intent(self, *, customer_id: str, metadata: dict[str, str],
                            idempotency_key: str,
                            payment_method_id: str | None = None) -> SetupIntentInfo:
        self.calls.append("create_setup_intent")
        if customer_id not in self.customers:
            raise InvalidRequest(f"No such customer: {customer_id}")
        if payment_method_id is not None and (
                self.cards.get(payment_method_id, {}).get("customer") != customer_id):
            raise InvalidRequest(f"The payment method {payment_method_id} does not belong "
                                 "to this customer.", code="resource_missing")

        def make():
            sid = self._id("seti")
            status = "requires_payment_method"
            if payment_method_id is not None:  # a saved card, confirmed on the server
                needs_3ds = self.cards[payment_method_id].get("needs_3ds")
                status = "requires_action" if needs_3ds else "succeeded"
            self.setup_intents[sid] = {"status": status, "customer": customer_id,
                                       "payment_method": payment_method_id,
                                       "metadata": dict(metadata), "error": None}
            return sid

        return self.retrieve_setup_intent(self._replay(idempotency_key, make))

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentInfo:
        try:
            si = self.setup_intents[setup_intent_id]
        except KeyError:
            raise InvalidRequest(f"No such setup intent: {setup_intent_id}") from None
        return SetupIntentInfo(
            id=setup_intent_id, status=si["status"],
            client_secret=f"{setup_intent_id}_secret_x", customer_id=si["customer"],
            payment_method_id=si["payment_method"], metadata=dict(si["metadata"]),
            error_message=si["error"],
        )

    # --- the browser's part, for tests ---------------------------------------------------

    def confirm_setup(self, setup_intent_id: str, number: str = "4242424242424242", *,
                      exp_month: int = 12, exp_year: int = 2034,
                      authenticate: bool = True) -> str:
        """What Stripe.js's confirmCardSetup does; returns the resulting status."""
        si = self.setup_intents[setup_intent_id]
        if number in DECLINED_AT_SETUP:
            si.update(status="requires_payment_method", error="Your card was declined.")
            return si["status"]
        if number in NEEDS_3DS and not authenticate:
            si.update(status="requires_action", error=None)
            return si["status"]
        pm = self._id("pm")
        self.cards[pm] = {"customer": None, "brand": "visa", "last4": number[-4:],
                          "exp_month": exp_month, "exp_year": exp_year,
                          "needs_3ds": number in NEEDS_3DS}
        si.update(status="succeeded", payment_method=pm, error=None)
        return si["status"]

    def authenticate_setup(self, setup_intent_id: str, success: bool = True) -> str:
        """3-D Secure on a SetupIntent confirmed on the server with a saved card (what
        Stripe.js's next action does); returns the resulting status."""
        si = self.setup_intents[setup_intent_id]
        if si["status"] == "requires_action" and success:
            si.update(status="succeeded")
        elif si["status"] == "requires_action":
            si.update(status="requires_payment_method", error="Authentication failed.")
        return si["status"]

    # --- cards ---------------------------------------------------------------------------

    def card(self, payment_method_id: str) -> CardInfo:
        try:
            c = self.cards[payment_method_id]
        except KeyError:
            raise InvalidRequest(f"No such payment method: {payment_method_id}") from None
        return CardInfo(payment_method_id, c["customer"], c["brand"], c["last4"],
                        c["exp_month"], c["exp_year"])

    def attach_payment_method(self, payment_method_id: str, customer_id: str) -> CardInfo:
        self.calls.append("attach_payment_method")
        self.cards[payment_method_id]["customer"] = customer_id
        return self.card(payment_method_id)

    def detach_payment_method(self, payment_method_id: str) -> None:
        self.calls.append("detach_payment_method")
        card = self.cards.get(payment_method_id)
        if card is None:  # Stripe: 404 resource_missing; one detached already: 400
            raise InvalidRequest(f"No such PaymentMethod: '{payment_method_id}'",
                                 code="resource_missing")
        if card["customer"] is None:
            raise InvalidRequest("The payment method you provided is not attached to a "
                                 "customer so detachment is impossible.",
                                 code="payment_method_unexpected_state")
        card["customer"] = None

    def list_cards(self, customer_id: str) -> list[CardInfo]:
        self.calls.append("list_cards")
        return [self.card(pm) for pm, card in self.cards.items()
                if card["customer"] == customer_id]

    # --- charges ---------------------------------------------------------------------------

    def charge_off_session(self, *, amount: Money, customer_id: str, payment_method_id: str,
                           metadata: dict[str, str], idempotency_key: str) -> PaymentIntentInfo:
        self.calls.append("charge_off_session")

        def make():
            card = self.cards.get(payment_method_id)
            if card is None or card["customer"] != customer_id:
                return InvalidRequest(f"No such payment method: {payment_method_id}")
            pid = self._id("pi")
            status = "succeeded"
            if card["last4"] == "0341":
                status = "declined"
            elif card["last4"] == "3155":
                status = "requires_action"
            self.payment_intents[pid] = {"amount": amount, "status": status,
                                         "metadata": dict(metadata), "customer": customer_id,
                                         "created": now()}
            if status == "succeeded":
                self._paid(pid)
            if status == "declined":
                return CardDeclined("Your card was declined.", code="card_declined")
            return pid

        outcome = self._replay(idempotency_key, make)
        if isinstance(outcome, Exception):
            raise outcome
        return self.retrieve_payment_intent(outcome)

    def charge_on_session(self, *, amount: Money, customer_id: str, payment_method_id: str,
                          metadata: dict[str, str], idempotency_key: str) -> PaymentIntentInfo:
        """As off-session here: the 3-D Secure card waits for ``complete_authentication``."""
        self.calls.append("charge_on_session")
        at = len(self.calls)
        try:
            return self.charge_off_session(amount=amount, customer_id=customer_id,
                                           payment_method_id=payment_method_id,
                                           metadata=metadata, idempotency_key=idempotency_key)
        finally:
            del self.calls[at]  # the off-session call it made is not one of ours

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        pi = self.payment_intents.get(payment_intent_id)
        if pi is None:
            raise InvalidRequest(f"No such payment_intent: {payment_intent_id}")
        status = "requires_payment_method" if pi["status"] == "declined" else pi["status"]
        return PaymentIntentInfo(payment_intent_id, status, pi["amount"],
                                 f"{payment_intent_id}_secret_x", dict(pi["metadata"]),
                                 created=pi["created"], customer_id=pi["customer"],
                                 charge_id=pi.get("charge"))

    def find_payment_intents(self, *, customer_id: str,
                             metadata: dict[str, str]) -> list[PaymentIntentInfo]:
        self.calls.append("find_payment_intents")
        return [self.retrieve_payment_intent(pid) for pid, pi in self.payment_intents.items()
                if pi.get("customer") == customer_id
                and all(pi["metadata"].get(k) == v for k, v in metadata.items())]

    def complete_authentication(self, payment_intent_id: str, success: bool = True) -> None:
        """The browser's part of confirmCardPayment (3-D Secure completed or failed)."""
        pi = self.payment_intents[payment_intent_id]
        if pi["status"] == "requires_action":
            pi["status"] = "succeeded" if success else "declined"
            if success:
                self._paid(payment_intent_id)

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        self.calls.append("cancel_payment_intent")
        pi = self.payment_intents[payment_intent_id]
        if pi["status"] == "succeeded":
            raise InvalidRequest("You cannot cancel a succeeded PaymentIntent.")
        pi["status"] = "canceled"
        return self.retrieve_payment_intent(payment_intent_id)

    def refund(self, *, payment_intent_id: str, amount: Money, metadata: dict[str, str],
               idempotency_key: str) -> RefundInfo:
        self.calls.append("refund")

        def make():
            pi = self.payment_intents.get(payment_intent_id)
            if pi is None or pi["status"] != "succeeded":
                return InvalidRequest("Cannot refund a payment that did not succeed.")
            rid = self._id("re")
            self.refunds[rid] = {"payment_intent": payment_intent_id, "amount": amount,
                                 "metadata": dict(metadata), "created": now()}
            self._refunded(rid)
            return rid

        outcome = self._replay(idempotency_key, make)
        if isinstance(outcome, Exception):
            raise outcome
        return self.retrieve_refund(outcome)

    def refunded_total(self, payment_intent_id: str) -> int:
        return sum(r["amount"].amount for r in self.refunds.values()
                   if r["payment_intent"] == payment_intent_id)

    # --- Connect ---------------------------------------------------------------------------

    def _require_connect(self) -> None:
        if not self.connect:
            raise ConnectUnsupported("This gateway has no Connect.")

    def create_connected_account(self, *, email: str, country: str | None,
                                 idempotency_key: str) -> str:
        self._require_connect()

        def make():
            aid = self._id("acct")
            self.accounts[aid] = {"email": email, "payouts_enabled": False}
            return aid

        return self._replay(idempotency_key, make)

    def account_onboarding_link(self, account_id: str, *, refresh_url: str,
                                return_url: str) -> str:
        self._require_connect()
        return f"https://connect.invalid/onboard/{account_id}?return={return_url}"

    def retrieve_connected_account(self, account_id: str) -> ConnectedAccount:
        self._require_connect()
        account = self.accounts[account_id]
        return ConnectedAccount(account_id, account["payouts_enabled"],
                                account["payouts_enabled"])

    def transfer(self, *, amount: Money, destination: str, metadata: dict[str, str],
                 idempotency_key: str) -> str:
        self._require_connect()
        self.calls.append("transfer")

        def make():
            tid = self._id("tr")
            self.transfers[tid] = {"amount": amount, "destination": destination,
                                   "metadata": dict(metadata), "created": now()}
            return tid

        return self._replay(idempotency_key, make)

    # --- webhooks --------------------------------------------------------------------------

    def sign(self, payload: bytes, timestamp: int | None = None) -> str:
        timestamp = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(self.webhook_secret.encode(), f"{timestamp}.".encode() + payload,
                       hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={mac}"

    def construct_event(self, payload: bytes, signature: str | None) -> WebhookEvent:
        if not signature:
            raise WebhookSignatureInvalid("No signature.")
        parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
        try:
            timestamp = int(parts["t"])
        except (KeyError, ValueError):
            raise WebhookSignatureInvalid("Malformed signature.") from None
        expected = self.sign(payload, timestamp).split("v1=")[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise WebhookSignatureInvalid("Bad signature.")
        if abs(time.time() - timestamp) > 300:
            raise WebhookSignatureInvalid("Too old.")
        return WebhookEvent.parse(payload)
