"""Settlement against the sandbox over HTTP: what is charged is read back from the sandbox."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.ledger.models import Account
from crowdfund.ledger.services import balance as ledger_balance
from crowdfund.ledger.services import check as check_ledger
from crowdfund.payments.sandbox_client import confirm_setup_as_browser
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from tests.sandbox import (
    DECLINES_AT_CHARGE,
    OK,
    THREE_DS,
    back,
    end,
    new_campaign,
    pledge_rows,
    sandbox_charges,
    settler,
)

P = PledgeStatus
def test_funded_campaign_with_good_declining_and_3ds_cards(app, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=20_000)
    good = [back(app, stripe_sandbox, campaign_id, OK, amount) for amount in ("75", "125.50")]
    declining = back(app, stripe_sandbox, campaign_id, DECLINES_AT_CHARGE, "60")
    needs_3ds = back(app, stripe_sandbox, campaign_id, THREE_DS, "40")
    cancelled = back(app, stripe_sandbox, campaign_id, OK, "500")
    with app.app_context():
        pledge = db.session.get(Pledge, cancelled)
        pledges.cancel_pledge(pledge, pledge.backer)
        db.session.commit()
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.counts == {"succeeded": 2, "failed": 1, "requires_action": 1,
                             "card detached": 1}, report
    rows = pledge_rows(app, campaign_id)
    assert {rows[i].status for i in good} == {P.COLLECTED}
    assert rows[declining].status is P.ERRORED
    assert rows[needs_3ds].status is P.AUTHENTICATION_REQUIRED
    assert rows[cancelled].status is P.CANCELLED
    # The cancelled pledge's card is given back; the others' are kept (charged, or to fix).
    attached = {i: stripe_sandbox.get(f"/v1/payment_methods/{rows[i].payment_method_id}")
                ["customer"] is not None for i in (*good, declining, needs_3ds, cancelled)}
    assert attached == {**{i: True for i in (*good, declining, needs_3ds)}, cancelled: False}
    charges = sandbox_charges(stripe_sandbox, campaign_id)
    succeeded = [pi for pi in charges if pi["status"] == "succeeded"]
    assert sorted(int(pi["metadata"]["pledge_id"]) for pi in succeeded) == sorted(good)
    assert sum(pi["amount"] for pi in succeeded) == 7500 + 12550
    assert all(pi["currency"] == "usd" for pi in charges)
    assert str(cancelled) not in {pi["metadata"]["pledge_id"] for pi in charges}
    assert {pi["status"] for pi in charges if pi["metadata"]["pledge_id"] == str(needs_3ds)} == {
        "requires_action"}
    # A second run charges nothing more.
    settler(app).settle(campaign_id)
    assert len(sandbox_charges(stripe_sandbox, campaign_id)) == len(charges)
    with app.app_context():
        assert check_ledger() == []
        cash = ledger_balance(Account.PROCESSOR_BALANCE, "USD", campaign_id)
    assert cash.amount == sum(pi["amount"] for pi in succeeded)  # the ledger = the sandbox


def test_failed_campaign_makes_no_payment_intent(app, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=10**7)
    made = [back(app, stripe_sandbox, campaign_id, OK, "100") for _ in range(3)]
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.outcome == "failed: nobody charged"
    assert stripe_sandbox.get("/v1/payment_intents?limit=100")["data"] == []
    rows = pledge_rows(app, campaign_id)
    assert {rows[i].status for i in made} == {P.RELEASED}
    for pledge_id in made:
        method = stripe_sandbox.get(f"/v1/payment_methods/{rows[pledge_id].payment_method_id}")
        assert method["customer"] is None  # the saved card was detached


@pytest.mark.parametrize("status", [429, 500])
def test_injected_failures_still_charge_everyone_exactly_once(app, stripe_sandbox, status):
    campaign_id = new_campaign(app, goal_minor=10_000)
    made = [back(app, stripe_sandbox, campaign_id, OK, "50") for _ in range(6)]
    end(app, campaign_id)
    stripe_sandbox.faults({"path_prefix": "/v1/payment_intents", "status": status, "count": 7})
    run = settler(app)
    run.max_tries = 8  # more than the faults: even one unlucky pledge meeting all 7 gets through
    report = run.settle(campaign_id)
    assert report.counts == {"succeeded": 6}, report
    seen = stripe_sandbox.get("/_config/faults/seen")
    assert seen["POST /v1/payment_intents"] >= 6 + 7  # the failures were really hit
    charges = sandbox_charges(stripe_sandbox, campaign_id)
    assert sorted(int(pi["metadata"]["pledge_id"]) for pi in charges) == sorted(made)
    assert {pi["status"] for pi in charges} == {"succeeded"}


# --- after charging: the fix page, against the sandbox ---------------------------------


def _login(app, client, pledge_id):
    from tests.factories import PASSWORD

    with app.app_context():
        email = db.session.get(Pledge, pledge_id).backer.email
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def _succeeded_for(sandbox, campaign_id, pledge_id):
    return [pi for pi in sandbox_charges(sandbox, campaign_id)
            if pi["metadata"]["pledge_id"] == str(pledge_id) and pi["status"] == "succeeded"]


def test_fix_page_recovers_errored_and_3ds_pledges_once(app, client, stripe_sandbox):
    import re

    from crowdfund.payments.sandbox_client import confirm_payment_as_browser

    campaign_id = new_campaign(app, goal_minor=10_000)
    back(app, stripe_sandbox, campaign_id, OK, "100")
    declined = back(app, stripe_sandbox, campaign_id, DECLINES_AT_CHARGE, "40")
    needs_3ds = back(app, stripe_sandbox, campaign_id, THREE_DS, "30")
    end(app, campaign_id)
    settler(app).settle(campaign_id)
    assert pledge_rows(app, campaign_id)[declined].status is P.ERRORED

    # The declined backer pays with another card on the fix page.
    _login(app, client, declined)
    page = client.get(f"/pledges/{declined}/pay").get_data(as_text=True)
    assert "Pay with another card" in page
    secret = re.search(r'data-client-secret="(seti_[^"]+)"', page).group(1)
    assert confirm_setup_as_browser(stripe_sandbox.base, secret, OK,
                                    publishable_key="pk_test_suite")["status"] == "succeeded"
    response = client.post(f"/pledges/{declined}/pay/card",
                           data={"setup_intent": secret.split("_secret_")[0]})
    assert response.status_code == 302 and response.location.endswith(f"/pledges/{declined}")
    assert pledge_rows(app, campaign_id)[declined].status is P.COLLECTED
    assert [pi["amount"] for pi in _succeeded_for(stripe_sandbox, campaign_id, declined)] == [4000]
    # Posting again does not charge again.
    client.post(f"/pledges/{declined}/pay/retry")
    assert len(_succeeded_for(stripe_sandbox, campaign_id, declined)) == 1
    client.post("/logout")

    # The 3-D Secure backer completes authentication on-session.
    _login(app, client, needs_3ds)
    page = client.get(f"/pledges/{needs_3ds}/pay").get_data(as_text=True)
    assert "Confirm with your bank" in page
    pi_secret = re.search(r'data-client-secret="(pi_[^"]+)"', page).group(1)
    confirm_payment_as_browser(stripe_sandbox.base, pi_secret, publishable_key="pk_test_suite")
    response = client.post(f"/pledges/{needs_3ds}/pay/authenticated")
    assert response.status_code == 302
    assert pledge_rows(app, campaign_id)[needs_3ds].status is P.COLLECTED
    assert [pi["amount"] for pi in _succeeded_for(stripe_sandbox, campaign_id, needs_3ds)] == [
        3000]
    with app.app_context():
        assert check_ledger() == []


def test_unrecovered_pledge_is_dropped_after_the_window(app, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=10_000)
    back(app, stripe_sandbox, campaign_id, OK, "100")
    declined = back(app, stripe_sandbox, campaign_id, DECLINES_AT_CHARGE, "40")
    needs_3ds = back(app, stripe_sandbox, campaign_id, THREE_DS, "30")
    end(app, campaign_id)
    run = settler(app)
    run.settle(campaign_id)
    with app.app_context():  # time travel: the failures happened 7 days ago
        for pledge in db.session.scalars(sa.select(Pledge).where(Pledge.id.in_(
                [declined, needs_3ds]))):
            pledge.payment_failed_at -= timedelta(days=7)
        db.session.commit()
    done = run.process_recovery()
    assert done["final retries"] == 2 and done["dropped"] == 2
    rows = pledge_rows(app, campaign_id)
    assert rows[declined].status is P.DROPPED and rows[needs_3ds].status is P.DROPPED
    for pledge_id in (declined, needs_3ds):
        attempts = [pi for pi in sandbox_charges(stripe_sandbox, campaign_id)
                    if pi["metadata"]["pledge_id"] == str(pledge_id)]
        assert len(attempts) == 2  # the charge at the deadline and the final retry
        assert not [pi for pi in attempts if pi["status"] == "succeeded"]
    assert {pi["status"] for pi in sandbox_charges(stripe_sandbox, campaign_id)
            if pi["metadata"]["pledge_id"] == str(needs_3ds)} == {"canceled"}
    with app.app_context():
        assert check_ledger() == []
