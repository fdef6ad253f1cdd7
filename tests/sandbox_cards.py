"""A card saved on a backer's customer in the sandbox, for browser tests of the pages that
list saved cards."""

from __future__ import annotations

from crowdfund.auth.models import User
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.sandbox_client import confirm_setup_as_browser
from crowdfund.pledges.services import ensure_customer


def save_sandbox_card(sandbox, backer: User, number: str = "4242424242424242") -> str:
    """``number`` saved on ``backer``'s customer (made if they have none) the way a pledge
    saves it; returns its payment method id. Inside an app context."""
    gw = current_gateway()
    customer = ensure_customer(backer, gw)
    intent = gw.create_setup_intent(customer_id=customer, metadata={},
                                    idempotency_key=f"test-user-{backer.id}-card-{number}")
    confirm_setup_as_browser(sandbox.base, intent.client_secret, number,
                             publishable_key="pk_test_suite")
    payment_method = gw.retrieve_setup_intent(intent.id).payment_method_id
    gw.attach_payment_method(payment_method, customer)
    return payment_method
