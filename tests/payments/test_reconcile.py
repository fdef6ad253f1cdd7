"""Charges whose outcome is unknown are reconciled against the gateway (the sandbox, over
HTTP, through the real Stripe adapter): a process died after sending a charge, or before
it, and nobody resumed it within the 23 hours the gateway replays a request. The
PaymentIntent is found by the pledge and attempt in the customer's PaymentIntents, its
outcome recorded; an attempt the gateway never saw is marked not sent and the pledge is
charged with a new attempt. Nobody is charged twice, nobody skipped."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.ledger.services import check as check_ledger
from crowdfund.payments import gateway as current_gateway
from crowdfund.payments.gateway import PaymentError
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import services
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.supervision import JobFailure
from tests.factories import make_user
from tests.sandbox import (
    DECLINES_AT_CHARGE,
    OK,
    back,
    new_campaign,
    sandbox_charges,
    settler,
)

P, C = PledgeStatus, ChargeStatus


def _crash_after_step(app, pledge_id: int, *, sent: bool) -> int:
    """Step 1 (the attempt row, committed) and, if ``sent``, step 2 (the gateway call);
    the process then dies before step 3. Returns the attempt's id."""
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        attempt = services.begin_attempt(pledge)
        request = dict(amount=attempt.amount, customer_id=pledge.backer.payment_customer_id,
                       payment_method_id=pledge.payment_method_id,
                       metadata={"pledge_id": str(pledge.id),
                                 "campaign_id": str(pledge.campaign_id),
                                 "attempt": str(attempt.attempt_no)},
                       idempotency_key=attempt.idempotency_key)
        db.session.commit()
        if sent:
            try:
                current_gateway().charge_off_session(**request)
            except PaymentError:
                pass  # the answer is lost with the process
        return attempt.id


def _closed_funded(app, campaign_id: int) -> None:
    """The deadline passed long ago and the campaign closed funded (nothing charged yet)."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.deadline -= timedelta(days=40)
        services.close_at_deadline(campaign)
        db.session.commit()
        assert campaign.status is CampaignStatus.FUNDED


def _attempts(app, pledge_id: int) -> list[tuple[int, ChargeStatus]]:
    with app.app_context():
        return [(a.attempt_no, a.status) for a in db.session.scalars(
            sa.select(ChargeAttempt).where(ChargeAttempt.pledge_id == pledge_id)
            .order_by(ChargeAttempt.attempt_no))]


def test_unknown_charges_are_reconciled_and_nobody_is_charged_twice(app, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=10_000)
    sent_ok = back(app, stripe_sandbox, campaign_id, OK, "100")
    never_sent = back(app, stripe_sandbox, campaign_id, OK, "50")
    sent_declined = back(app, stripe_sandbox, campaign_id, DECLINES_AT_CHARGE, "20")
    untouched = back(app, stripe_sandbox, campaign_id, OK, "30")
    _closed_funded(app, campaign_id)
    for pledge_id, sent in ((sent_ok, True), (never_sent, False), (sent_declined, True)):
        _crash_after_step(app, pledge_id, sent=sent)
    with app.app_context():  # a day later: too old for the gateway to replay
        for attempt in db.session.scalars(sa.select(ChargeAttempt)):
            attempt.created_at -= timedelta(hours=24)
        db.session.commit()

    _reports, done = settler(app).run_once()

    assert done["reconciled"] == 3
    assert _attempts(app, sent_ok) == [(1, C.SUCCEEDED)]
    assert _attempts(app, sent_declined) == [(1, C.FAILED)]
    assert _attempts(app, never_sent) == [(1, C.NOT_SENT), (2, C.SUCCEEDED)]
    assert _attempts(app, untouched) == [(1, C.SUCCEEDED)]
    with app.app_context():
        status = {p.id: p.status for p in db.session.scalars(sa.select(Pledge))}
        assert status == {sent_ok: P.COLLECTED, never_sent: P.COLLECTED,
                          sent_declined: P.ERRORED, untouched: P.COLLECTED}
        assert db.session.get(Campaign, campaign_id).status is CampaignStatus.COLLECTING
        assert check_ledger() == []
    succeeded = [pi["metadata"]["pledge_id"] for pi in sandbox_charges(stripe_sandbox,
                                                                       campaign_id)
                 if pi["status"] == "succeeded"]
    assert sorted(succeeded) == sorted(str(p) for p in (sent_ok, never_sent, untouched))
    # a second pass finds nothing left to reconcile
    assert settler(app).run_once()[1]["reconciled"] == 0


def test_a_gateway_outage_leaves_the_attempt_unknown_for_operators(app, stripe_sandbox,
                                                                   client, auth):
    campaign_id = new_campaign(app, goal_minor=5_000)
    pledge_id = back(app, stripe_sandbox, campaign_id, OK, "100")
    _closed_funded(app, campaign_id)
    attempt_id = _crash_after_step(app, pledge_id, sent=True)
    with app.app_context():
        db.session.get(ChargeAttempt, attempt_id).created_at -= timedelta(hours=24)
        db.session.commit()
    stripe_sandbox.faults({"path_prefix": "/v1/payment_intents", "method": "GET",
                           "status": 500, "count": 10})
    run = settler(app)
    assert run.reconcile_unknown() == 0
    assert _attempts(app, pledge_id) == [(1, C.UNKNOWN)]
    with app.app_context():
        failure = db.session.scalar(sa.select(JobFailure))
        assert failure.job == "reconcile charge" and failure.item == str(attempt_id)
        operator = make_user(operator=True)
        db.session.commit()
    auth.login_as(operator)
    page = client.get("/operators/settlement").get_data(as_text=True)
    assert "Charges with an unknown outcome (1)" in page
    stripe_sandbox.faults()
    assert run.reconcile_unknown() == 1
    assert _attempts(app, pledge_id) == [(1, C.SUCCEEDED)]
