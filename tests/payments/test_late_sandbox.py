"""Late pledges end to end against the sandbox over HTTP through the real Stripe adapter
(issue 28): charged at once by an on-session PaymentIntent read back by the server, counted
apart from the totals frozen at the deadline, paid out to the founder once the late window
closes, refundable like any collected pledge; the ledger check passes after each step."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.late import late_totals
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import payouts, refunds
from crowdfund.settlement.models import ChargeAttempt, Payout, PayoutStatus
from tests.factories import make_user
from tests.sandbox import sandbox_charges, settler
from tests.sandbox_late import authenticate_as_browser, funded_with_late_window, pay_late

S, P = CampaignStatus, PledgeStatus
THREE_DS = "4000002500003155"


def _ledger_ok(app) -> None:
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0 and "ledger OK" in result.output, result.output


def test_a_late_pledge_is_charged_at_once_and_counted_apart(app, stripe_sandbox):
    campaign_id, tier_id = funded_with_late_window(app, stripe_sandbox)
    pledge_id, outcome = pay_late(app, stripe_sandbox, campaign_id, tier_id, "75")
    assert outcome == "succeeded"

    (late_charge,) = [pi for pi in sandbox_charges(stripe_sandbox, campaign_id)
                      if pi["metadata"]["pledge_id"] == str(pledge_id)]
    assert (late_charge["amount"], late_charge["status"]) == (7_500, "succeeded")
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert (pledge.status, pledge.late) == (P.COLLECTED, True)
        (attempt,) = db.session.scalars(sa.select(ChargeAttempt).where(
            ChargeAttempt.pledge_id == pledge_id)).all()
        assert attempt.idempotency_key == f"pledge-{pledge_id}-charge-1"
        assert attempt.payment_intent_id == late_charge["id"]
        campaign = db.session.get(Campaign, campaign_id)
        # The total at the deadline stays frozen; the late pledge is counted apart.
        assert (campaign.pledged_at_deadline_minor, campaign.backers_at_deadline) == (6_000, 1)
        late = late_totals(campaign)
        assert (late.amount.amount, late.backers) == (7_500, 1)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.recipient_id == pledge.backer_id,
            OutboxMessage.kind == "receipt")) == 1
        db.session.remove()
    _ledger_ok(app)


def test_a_3ds_late_pledge_is_collected_only_once_the_bank_confirms(app, stripe_sandbox):
    campaign_id, tier_id = funded_with_late_window(app, stripe_sandbox)
    pledge_id, outcome = pay_late(app, stripe_sandbox, campaign_id, tier_id, "60", THREE_DS)
    assert outcome == "requires_action"
    with app.app_context():
        attempt = db.session.scalar(sa.select(ChargeAttempt).where(
            ChargeAttempt.pledge_id == pledge_id))
        intent_id = attempt.payment_intent_id
        assert db.session.get(Pledge, pledge_id).status is P.PENDING
        db.session.remove()
    # The browser's word counts for nothing: the server reads the PaymentIntent back.
    assert settler(app).read_back_late(pledge_id) == "requires_action"
    authenticate_as_browser(stripe_sandbox, intent_id)
    assert settler(app).read_back_late(pledge_id) == "succeeded"
    assert settler(app).read_back_late(pledge_id) == "collected"  # once
    with app.app_context():
        assert db.session.get(Pledge, pledge_id).status is P.COLLECTED
        db.session.remove()
    _ledger_ok(app)


def test_late_money_is_paid_out_once_the_window_closes_and_refunds_work(app, stripe_sandbox):
    campaign_id, tier_id = funded_with_late_window(app, stripe_sandbox, days=3)
    late_id, _ = pay_late(app, stripe_sandbox, campaign_id, tier_id, "80")
    refunded_id, _ = pay_late(app, stripe_sandbox, campaign_id, tier_id, "60")
    with app.app_context():
        pledge = db.session.get(Pledge, refunded_id)
        refund = refunds.request_refund(pledge, pledge.amount, make_user(operator=True),
                                        "Asked for it back")
        db.session.commit()
        refund_id = refund.id
    assert settler(app).refund(refund_id) == "succeeded"
    _ledger_ok(app)

    # Collection window over, the late window still open: not settled, no payout yet.
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.collection_ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert settler(app).process_recovery()["settled"] == 0
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.deadline -= timedelta(days=3) + app.config["PAYOUT_DELAY"]
        db.session.commit()
    done = settler(app).process_recovery()
    assert (done["settled"], done["payouts due"]) == (1, 1), done
    with app.app_context():
        payout = db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign_id))
        # Each charge's fees are booked once, the refunded one's too (they stay booked).
        charged = db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign_id)).all()
        assert sorted((p.amount_minor, p.late) for p in charged) == [
            (6_000, False), (6_000, True), (8_000, True)]
        fees = sum(f.platform.amount + f.processing.amount
                   for f in (ledger.fees_for(p.amount) for p in charged))
        assert payout.amount_minor == ledger.founder_owed(campaign_id, "USD").amount
        assert payout.amount_minor == 6_000 + 8_000 - fees
        payouts.mark_paid(payout, make_user(operator=True), "BANK-LATE-1")
        db.session.commit()
        assert payout.status is PayoutStatus.PAID
        assert ledger.founder_owed(campaign_id, "USD").amount == 0
        assert late_totals(db.session.get(Campaign, campaign_id)).amount.amount == 8_000
        db.session.remove()
    _ledger_ok(app)

