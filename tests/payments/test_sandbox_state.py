"""The sandbox of ``make run`` keeps its state in a file (``--state-file``): restarted, it
still has the customers, saved cards, PaymentIntents and refunds the demo's database points
to, and replays the idempotent answers it gave. (The suite's own sandbox stays in memory.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

from crowdfund.money import Money
from crowdfund.payments.sandbox_client import confirm_setup_as_browser
from crowdfund.payments.sandbox_disk import SAVE_DELAY
from crowdfund.payments.stripe_gateway import StripeGateway
from tests.factories import free_port


@contextmanager
def sandbox_on(state_file, *, stop=signal.SIGTERM):
    """A sandbox process keeping its state in ``state_file``; yields (gateway, process)."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "crowdfund.payments.sandbox", "--port", str(port),
         "--state-file", str(state_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/js.stripe.com/v3/", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the sandbox did not start: " + proc.stderr.read().decode())
        time.sleep(0.1)
    try:
        yield StripeGateway(secret_key="sk_test_state", publishable_key="pk_test_state",
                            webhook_secret=None, api_base=base, max_network_retries=0), proc
    finally:
        proc.send_signal(stop)
        proc.wait(timeout=10)


def _refund_of(gw: StripeGateway, refund_id: str) -> dict:
    response = requests.get(f"{gw.api_base}/v1/refunds/{refund_id}", timeout=10,
                            headers={"Authorization": "Bearer sk_test_state"})
    response.raise_for_status()
    return response.json()


def _charge(gw: StripeGateway, customer: str, method: str):
    return gw.charge_off_session(amount=Money(5000, "USD"), customer_id=customer,
                                 payment_method_id=method, metadata={"pledge_id": "1"},
                                 idempotency_key="pledge-1-charge-1")


def test_a_restarted_sandbox_still_has_the_cards_charges_and_refunds(tmp_path):
    state = tmp_path / "instance" / "sandbox-state.pickle"
    with sandbox_on(state) as (gw, _):
        customer = gw.create_customer(email="a@example.com", name="A",
                                      idempotency_key="user-1-customer")
        intent = gw.create_setup_intent(customer_id=customer, metadata={"pledge_id": "1"},
                                        idempotency_key="pledge-1-setup-1")
        confirm_setup_as_browser(gw.api_base, intent.client_secret, "4242424242424242",
                                 publishable_key=gw.publishable_key)
        method = gw.retrieve_setup_intent(intent.id).payment_method_id
        gw.attach_payment_method(method, customer)
        charge = _charge(gw, customer, method)
        assert charge.status == "succeeded"
    # Stopped (as Ctrl-C on `make run` stops it) and started again on the same file.
    with sandbox_on(state, stop=signal.SIGKILL) as (gw, proc):
        card = gw.card(method)
        assert (card.customer_id, card.last4, card.exp_year) == (customer, "4242", 2034)
        assert gw.retrieve_payment_intent(charge.id).status == "succeeded"
        # The same key gets the first answer again, not a second charge.
        assert _charge(gw, customer, method).id == charge.id
        refund = gw.refund(payment_intent_id=charge.id, amount=Money(5000, "USD"),
                           metadata={"pledge_id": "1"}, idempotency_key="pledge-1-refund-1")
        assert refund.status == "succeeded"
        assert "Stripe sandbox state: " in proc.stdout.readline().decode()
        time.sleep(SAVE_DELAY + 0.7)  # saved soon after the write, not only at shutdown
    # Killed outright this time: what was saved after the refund is there.
    with sandbox_on(state) as (gw, _):
        assert _refund_of(gw, refund.id)["payment_intent"] == charge.id
        assert gw.card(method).customer_id == customer


def test_an_unreadable_state_file_starts_empty_and_is_replaced(tmp_path):
    state = tmp_path / "sandbox-state.pickle"
    state.write_bytes(b"not what the sandbox writes")
    with sandbox_on(state) as (gw, proc):
        customer = gw.create_customer(email="b@example.com", name="B",
                                      idempotency_key="user-2-customer")
    assert "cannot be read" in proc.stderr.read().decode()
    with sandbox_on(state) as (gw, _):
        assert gw.create_customer(email="b@example.com", name="B",
                                  idempotency_key="user-2-customer") == customer
