"""Pages around money after the deadline: the fix page, the operators' settlement console,
refund buttons (operator and founder), the charges CSV, payouts and the outbox page."""

import csv
import io

import pytest
import sqlalchemy as sa

from crowdfund import queue
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.pledges.models import PledgeStatus
from crowdfund.settlement import recovery
from crowdfund.settlement.models import ChargeAttempt, Payout, PayoutStatus, Refund
from tests.factories import back, ended, make_campaign, make_user, pledge_of

S, P = CampaignStatus, PledgeStatus


@pytest.fixture
def charged(app, session, gw, settler):
    # Its founder's identity verified: they are to be paid.
    campaign = make_campaign(make_user(verified=True), status=S.LIVE, tiers=0,
                             goal_minor=10_000)
    ids = {"ok": back(campaign, gw, "ok", "120"), "declines": back(campaign, gw, "declines", "40"),
           "3ds": back(campaign, gw, "3ds", "30")}
    ended(campaign)
    session.commit()
    campaign_id = campaign.id
    settler.settle(campaign_id)
    return campaign_id, ids


def login_backer(auth, pledge_id):
    auth.login_as(pledge_of(pledge_id).backer)


def test_fix_page_is_the_backers_own(app, client, auth, session, charged):
    _, ids = charged
    assert client.get(f"/pledges/{ids['declines']}/pay").status_code == 302  # sign in first
    auth.login_as(make_user())
    assert client.get(f"/pledges/{ids['declines']}/pay").status_code == 404
    assert client.post(f"/pledges/{ids['declines']}/pay/retry").status_code == 404


def test_fix_page_offers_what_fits(app, client, auth, session, charged):
    _, ids = charged
    login_backer(auth, ids["declines"])
    page = client.get(f"/pledges/{ids['declines']}/pay").get_data(as_text=True)
    assert "Pay with another card" in page and "Try your saved card again" in page
    assert "Confirm with your bank" not in page
    shown = client.get(f"/pledges/{ids['declines']}").get_data(as_text=True)
    assert f"/pledges/{ids['declines']}/pay" in shown  # the pledge page links to it
    response = client.post(f"/pledges/{ids['declines']}/pay/retry", follow_redirects=True)
    assert "did not go through" in response.get_data(as_text=True)
    client.post("/logout")
    login_backer(auth, ids["ok"])
    response = client.get(f"/pledges/{ids['ok']}/pay", follow_redirects=True)
    assert "nothing to pay" in response.get_data(as_text=True)


def test_3ds_completed_on_the_fix_page(app, client, auth, session, gw, charged):
    _, ids = charged
    login_backer(auth, ids["3ds"])
    page = client.get(f"/pledges/{ids['3ds']}/pay").get_data(as_text=True)
    assert "Confirm with your bank" in page
    waiting = recovery.waiting_authentication(pledge_of(ids["3ds"]))
    assert f'data-client-secret="{waiting.payment_intent_id}_secret' in page
    gw.complete_authentication(waiting.payment_intent_id)
    response = client.post(f"/pledges/{ids['3ds']}/pay/authenticated", follow_redirects=True)
    assert "Your payment went through" in response.get_data(as_text=True)
    assert pledge_of(ids["3ds"]).status is P.COLLECTED


def test_console_lists_and_money_page(app, client, auth, session, charged):
    campaign_id, ids = charged
    assert client.get("/operators/settlement").status_code == 302
    auth.login_as(make_user())
    assert client.get("/operators/settlement").status_code == 403
    assert client.get(f"/operators/campaigns/{campaign_id}/charges.csv").status_code == 403
    client.post("/logout")
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "Collecting (7-day fix window) (1)" in page
    assert "2 pledges with a failed payment" in page
    assert "Failed payments (2)" in page and "card_declined" in page
    assert f"/operators/pledges/{ids['declines']}/retry" in page
    page = client.get(f"/operators/campaigns/{campaign_id}/money").get_data(as_text=True)
    assert "card_declined" in page and "Retry charge" in page and "Refund" in page
    assert "$120.00" in page  # collected
    response = client.post(f"/operators/pledges/{ids['declines']}/retry", follow_redirects=True)
    assert f"Retry of pledge {ids['declines']}: failed." in response.get_data(as_text=True)


def test_operator_refunds_from_the_console(app, client, auth, session, gw, charged):
    campaign_id, ids = charged
    auth.login_as(make_user(operator=True))
    response = client.post(f"/operators/pledges/{ids['ok']}/refund",
                           data={"amount": "200", "reason": "too much"}, follow_redirects=True)
    assert "At most $120.00 can be refunded." in response.get_data(as_text=True)
    response = client.post(f"/operators/pledges/{ids['ok']}/refund",
                           data={"amount": "12.5.0"}, follow_redirects=True)
    assert "Enter an amount such as 25" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 0
    response = client.post(f"/operators/pledges/{ids['ok']}/refund",
                           data={"amount": "20", "reason": "Late delivery"},
                           follow_redirects=True)
    assert "Refunded $20.00." in response.get_data(as_text=True)
    assert pledge_of(ids["ok"]).refunded_minor == 2000
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/operators/campaigns/{campaign_id}/charges.csv").get_data(as_text=True))))
    by_pledge = {int(r["pledge_id"]): r for r in rows}
    assert by_pledge[ids["ok"]]["status"] == "succeeded"
    assert by_pledge[ids["ok"]]["refunded"] == "20.00"
    assert by_pledge[ids["declines"]]["error_code"] == "card_declined"
    assert by_pledge[ids["3ds"]]["status"] == "requires_action"


def test_operator_cancels_a_funded_campaign(app, client, auth, session, gw, charged):
    campaign_id, ids = charged
    auth.login_as(make_user(operator=True))
    response = client.post(f"/operators/campaigns/{campaign_id}/cancel-funded",
                           data={"reason": "Fraud confirmed by the team"},
                           follow_redirects=True)
    assert "Campaign cancelled. 1 refund queued" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).status is S.CANCELLED
    assert pledge_of(ids["ok"]).status is P.COLLECTED  # its refund waits for the job
    db.session.commit()  # this test's own transaction ends: the job writes
    assert queue.drain(app) == 1
    db.session.expire_all()
    assert "refunds sent: 1; waiting payments cancelled: 1" in client.get(
        "/operators/settlement").get_data(as_text=True)
    assert pledge_of(ids["ok"]).status is P.REFUNDED
    assert pledge_of(ids["declines"]).status is P.DROPPED
    assert pledge_of(ids["3ds"]).status is P.DROPPED
    attempt = next(a for a in db.session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == ids["3ds"])))
    assert attempt.status.value == "failed"  # its PaymentIntent was cancelled
    assert gw.payment_intents[attempt.payment_intent_id]["status"] == "canceled"


def test_founder_refunds_own_backer_only(app, client, auth, session, charged):
    campaign_id, ids = charged
    founder = db.session.get(Campaign, campaign_id).founder
    other = make_user()
    auth.login_as(other)
    assert client.post(f"/studio/{campaign_id}/pledges/{ids['ok']}/refund",
                       data={"amount": "5"}).status_code == 404
    client.post("/logout")
    auth.login_as(founder)
    page = client.get(f"/studio/{campaign_id}/backers").get_data(as_text=True)
    assert f"/studio/{campaign_id}/pledges/{ids['ok']}/refund" in page
    response = client.post(f"/studio/{campaign_id}/pledges/{ids['ok']}/refund",
                           data={"amount": "5", "reason": "Wrong colour"}, follow_redirects=True)
    assert "Refunded $5.00." in response.get_data(as_text=True)
    assert pledge_of(ids["ok"]).refunded_minor == 500


def test_payouts_page_and_connect_onboarding(app, client, auth, session, gw):
    founder = make_user()
    session.commit()
    auth.login_as(founder)
    page = client.get("/studio/payouts").get_data(as_text=True)
    assert "pays you by bank transfer" in page
    assert client.post("/studio/payouts/connect").status_code == 404  # Connect is off
    app.config["STRIPE_CONNECT_ENABLED"] = True
    gw.connect = True
    try:
        response = client.post("/studio/payouts/connect")
        assert response.status_code == 302
        assert response.location.startswith("https://connect.invalid/onboard/acct_")
        db.session.expire_all()
        account = db.session.get(type(founder), founder.id).payout_account_id
        assert account and account in response.location
        client.post("/studio/payouts/connect")  # again: the same account, not a second one
        db.session.expire_all()
        assert len(gw.accounts) == 1
        gw.accounts[account]["payouts_enabled"] = True
        assert "payouts are transferred to it" in client.get("/studio/payouts").get_data(
            as_text=True)
    finally:
        app.config["STRIPE_CONNECT_ENABLED"] = False


def test_operator_marks_a_payout_paid(app, client, auth, session, charged):
    campaign_id, _ = charged
    campaign = db.session.get(Campaign, campaign_id)
    payout = Payout(campaign_id=campaign_id, amount_minor=1, currency="USD",
                    status=PayoutStatus.DUE, idempotency_key="campaign-x-payout",
                    due_at=campaign.deadline)
    db.session.add(payout)
    db.session.commit()
    auth.login_as(make_user(operator=True))
    assert "Payouts due (1)" in client.get("/operators/settlement").get_data(as_text=True)
    response = client.post(f"/operators/payouts/{payout.id}/paid", data={"reference": ""},
                           follow_redirects=True)
    assert "Enter the payment reference" in response.get_data(as_text=True)
    response = client.post(f"/operators/payouts/{payout.id}/paid",
                           data={"reference": "SEPA 991"}, follow_redirects=True)
    assert "marked paid" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status is PayoutStatus.PAID


def test_outbox_page_for_operators_outside_production(app, client, auth, session, charged):
    auth.login_as(make_user(operator=True))
    page = client.get("/operators/outbox").get_data(as_text=True)
    assert "Action needed: your payment for" in page  # the payment-failed emails
    app.config["ENV_NAME"] = "production"
    try:
        assert client.get("/operators/outbox").status_code == 404
    finally:
        app.config["ENV_NAME"] = "testing"


