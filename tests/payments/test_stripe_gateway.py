"""The Stripe adapter against the sandbox: idempotency, error mapping, fault injection."""

import pytest

from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.gateway import (
    CardInfo,
    GatewayUnavailable,
    InvalidRequest,
    PaymentGateway,
    RateLimited,
)


@pytest.fixture
def gw(app, stripe_sandbox):
    with app.app_context():
        gateway = current_gateway()
    assert isinstance(gateway, PaymentGateway)
    return gateway


def test_same_idempotency_key_same_customer(gw):
    first = gw.create_customer(email="a@example.com", name="A", idempotency_key="user-1-customer")
    again = gw.create_customer(email="a@example.com", name="A", idempotency_key="user-1-customer")
    other = gw.create_customer(email="a@example.com", name="A", idempotency_key="user-2-customer")
    assert first == again != other


def test_same_key_with_other_parameters_is_refused(gw):
    gw.create_customer(email="a@example.com", name="A", idempotency_key="user-9-customer")
    with pytest.raises(InvalidRequest, match="Keys for idempotent requests can only be used "
                                             "with the same parameters"):
        gw.create_customer(email="b@example.com", name="B", idempotency_key="user-9-customer")


def test_setup_intent_round_trip(gw, stripe_sandbox):
    customer = gw.create_customer(email="a@example.com", name="A", idempotency_key="k-cus")
    intent = gw.create_setup_intent(customer_id=customer, metadata={"pledge_id": "7"},
                                    idempotency_key="pledge-7-setup-1")
    assert intent.status == "requires_payment_method" and intent.client_secret
    replay = gw.create_setup_intent(customer_id=customer, metadata={"pledge_id": "7"},
                                    idempotency_key="pledge-7-setup-1")
    assert replay.id == intent.id
    stripe_sandbox.confirm_setup(intent.client_secret, "4242424242424242")
    done = gw.retrieve_setup_intent(intent.id)
    assert done.succeeded and done.customer_id == customer and done.metadata == {"pledge_id": "7"}
    card = gw.attach_payment_method(done.payment_method_id, customer)
    assert card == CardInfo(done.payment_method_id, customer, "visa", "4242", 12, 2034)
    gw.detach_payment_method(done.payment_method_id)
    assert gw.card(done.payment_method_id).customer_id is None


@pytest.mark.parametrize(("status", "error", "message"), [
    (429, RateLimited, "Too many requests hit the API too quickly"),
    (500, GatewayUnavailable, "Injected server error")])
def test_injected_faults_map_to_our_errors(gw, stripe_sandbox, status, error, message):
    stripe_sandbox.faults({"path_prefix": "/v1/customers", "status": status, "count": 1})
    with pytest.raises(error, match=message):
        gw.create_customer(email="a@example.com", name="A", idempotency_key="user-3-customer")
    # The fault was not remembered under the key: the retry with the same key succeeds.
    assert gw.create_customer(email="a@example.com", name="A",
                              idempotency_key="user-3-customer").startswith("cus_")


def test_unknown_object_is_an_invalid_request(gw):
    with pytest.raises(InvalidRequest, match="Not Found"):
        gw.retrieve_setup_intent("seti_doesnotexist")


def test_unreachable_gateway_is_unavailable(app):
    from crowdfund.payments.stripe_gateway import StripeGateway

    dead = StripeGateway(secret_key="sk_test_x", publishable_key="pk_test_x", webhook_secret=None,
                         api_base="http://127.0.0.1:9", max_network_retries=0)
    with pytest.raises(GatewayUnavailable, match="Network error: ConnectionError"):
        dead.create_customer(email="a@example.com", name="A", idempotency_key="x")


def test_declined_answer_is_replayed_for_the_same_key(gw, stripe_sandbox):
    """A 4xx is stored under its key too: retrying a declined charge does not charge again."""
    import requests

    body = {"amount": "100", "currency": "usd", "customer": "cus_missing"}
    headers = {"Authorization": "Bearer sk_test_suite", "Idempotency-Key": "same-key"}
    first = requests.post(f"{stripe_sandbox.base}/v1/payment_intents", data=body,
                          headers=headers, timeout=10)
    again = requests.post(f"{stripe_sandbox.base}/v1/payment_intents", data=body,
                          headers=headers, timeout=10)
    assert 400 <= first.status_code < 500
    assert again.status_code == first.status_code and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
