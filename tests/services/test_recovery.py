"""After charging: the fix page's services, reminders, the final retry, drops, settling.

Time travel moves our rows into the past (the failure, the window, the deadline); nothing
sleeps.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.money import Money
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import PledgeStatus
from crowdfund.settlement import recovery
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus, Payout, PayoutStatus
from tests.factories import CARDS, back, ended, make_campaign, make_tier, pledge_of

S, P, C = CampaignStatus, PledgeStatus, ChargeStatus


@pytest.fixture
def charged(app, session, gw, settler):
    """A funded campaign after its charge run: one collected, one errored (holding a unit of
    a limited tier), one waiting for 3-D Secure."""
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    tier = make_tier(campaign, minimum_minor=2500, limit=5)
    ids = {"ok": back(campaign, gw, "ok", "100"),
           "declines": back(campaign, gw, "declines", "40", tier=tier),
           "3ds": back(campaign, gw, "3ds", "30")}
    ended(campaign)
    session.commit()
    campaign_id, tier_id = campaign.id, tier.id
    report = settler.settle(campaign_id)
    assert report.outcome == "funded: charged"
    return campaign_id, tier_id, ids


def outbox(kind):
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


def travel(pledge_id, *, hours):
    """Move a pledge's failure (and its last reminder) ``hours`` into the past."""
    pledge = pledge_of(pledge_id)
    pledge.payment_failed_at -= timedelta(hours=hours)
    if pledge.last_reminded_at:
        pledge.last_reminded_at -= timedelta(hours=hours)
    db.session.commit()


def test_failed_charges_tell_the_backer_with_the_fix_link(app, session, charged):
    _, _, ids = charged
    assert pledge_of(ids["declines"]).status is P.ERRORED
    assert pledge_of(ids["3ds"]).status is P.AUTHENTICATION_REQUIRED
    failed = outbox("payment_failed")
    assert len(failed) == 2
    for message in failed:
        pledge_id = int(message.dedupe_key.split("-")[1])
        assert f"/pledges/{pledge_id}/pay" in message.text_body
        assert f"/pledges/{pledge_id}/pay" in message.html_body
    assert {m.dedupe_key for m in outbox("receipt")} == {f"pledge-{ids['ok']}-receipt"}


def test_reminders_every_48_hours_within_the_window(app, session, charged):
    _, _, ids = charged
    assert recovery.send_reminders() == 0  # just failed: the failure email said it all
    travel(ids["declines"], hours=47)
    assert recovery.send_reminders() == 0
    travel(ids["declines"], hours=1)  # 48 h after the failure
    assert recovery.send_reminders() == 1
    session.commit()
    assert recovery.send_reminders() == 0  # not twice in a row
    travel(ids["declines"], hours=48)
    assert recovery.send_reminders() == 1
    session.commit()
    travel(ids["declines"], hours=48)
    assert recovery.send_reminders() == 1
    session.commit()
    travel(ids["declines"], hours=48)  # 192 h: the window (7 days) is over
    assert recovery.send_reminders() == 0
    assert pledge_of(ids["declines"]).reminders_sent == 3
    assert [m.dedupe_key for m in outbox("payment_reminder")] == [
        f"pledge-{ids['declines']}-reminder-{n}" for n in (1, 2, 3)]


def test_unpaid_pledges_get_one_final_retry_then_are_dropped(app, session, gw, charged,
                                                             settler):
    campaign_id, tier_id, ids = charged
    assert db.session.get(RewardTier, tier_id).claimed == 1
    settler.process_recovery()
    assert pledge_of(ids["declines"]).status is P.ERRORED  # window still open
    for key in ("declines", "3ds"):
        travel(ids[key], hours=7 * 24)
    charges_before = gw.calls.count("charge_off_session")
    done = settler.process_recovery()
    assert done["final retries"] == 2 and done["dropped"] == 2
    assert gw.calls.count("charge_off_session") == charges_before + 2  # one retry each
    db.session.expire_all()
    assert pledge_of(ids["declines"]).status is P.DROPPED
    assert pledge_of(ids["3ds"]).status is P.DROPPED
    assert db.session.get(RewardTier, tier_id).claimed == 0  # the unit is free again
    # The 3-D Secure PaymentIntents were cancelled: nobody can complete them later.
    intents = {a.payment_intent_id for a in db.session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == ids["3ds"]))}
    assert {gw.payment_intents[i]["status"] for i in intents} == {"canceled"}
    assert len(outbox("pledge_dropped")) == 2
    # Nothing more happens on the next pass.
    settler.process_recovery()
    assert gw.calls.count("charge_off_session") == charges_before + 2
    session.commit()
    assert ledger.check() == []


def test_a_final_retry_that_succeeds_collects(app, session, gw, charged, settler):
    _, _, ids = charged
    pledge = pledge_of(ids["declines"])
    gw.cards[pledge.payment_method_id]["last4"] = "4242"  # the bank sorted it out
    travel(ids["declines"], hours=7 * 24)
    settler.process_recovery()
    assert pledge_of(ids["declines"]).status is P.COLLECTED
    assert len(outbox("receipt")) == 2


def test_completing_3ds_on_the_fix_page_collects_once(app, session, gw, charged, settler):
    _, _, ids = charged
    pledge = pledge_of(ids["3ds"])
    waiting = recovery.waiting_authentication(pledge)
    gw.complete_authentication(waiting.payment_intent_id)
    assert recovery.complete_authentication(pledge, gw) == "succeeded"
    session.commit()
    assert pledge_of(ids["3ds"]).status is P.COLLECTED
    # A repeated post (or the webhook) changes nothing.
    assert recovery.complete_authentication(pledge_of(ids["3ds"]), gw) == "collected"
    charges = [a for a in db.session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == ids["3ds"]))]
    assert [a.status for a in charges] == [C.SUCCEEDED]
    session.commit()
    assert ledger.check() == []


def test_retry_with_a_new_card_cancels_the_waiting_payment_first(app, session, gw, charged,
                                                                 settler):
    _, _, ids = charged
    pledge = pledge_of(ids["3ds"])
    first = recovery.waiting_authentication(pledge).payment_intent_id
    backer = pledge.backer
    intent = pledges.ensure_setup_intent(pledge, backer, gw)
    gw.confirm_setup(intent.id, CARDS["ok"])
    pledges.confirm_card(pledge, gw)
    session.commit()
    assert settler.retry(ids["3ds"]) == "succeeded"
    assert gw.payment_intents[first]["status"] == "canceled"
    attempts = list(db.session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == ids["3ds"]).order_by(ChargeAttempt.attempt_no)))
    assert [a.status for a in attempts] == [C.FAILED, C.SUCCEEDED]
    assert attempts[1].idempotency_key == f"pledge-{ids['3ds']}-charge-2"
    # Collected now: no further retry is possible.
    assert settler.retry(ids["3ds"]) == "skipped"


def test_the_backer_cannot_retry_forever(app, session, gw, charged, settler):
    _, _, ids = charged
    app.config["RECOVERY_MAX_ATTEMPTS"] = 3
    try:
        assert settler.retry(ids["declines"]) == "failed"
        assert settler.retry(ids["declines"]) == "failed"
        with pytest.raises(DomainError, match="Too many tries for this payment"):
            recovery.require_fixable(pledge_of(ids["declines"]))
    finally:
        app.config["RECOVERY_MAX_ATTEMPTS"] = 10


def test_collection_window_closes_into_settled_with_a_payout(app, session, gw, charged,
                                                             settler):
    campaign_id, _, ids = charged
    for key in ("declines", "3ds"):
        travel(ids[key], hours=7 * 24)
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.status is S.COLLECTING
    campaign.collection_ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    done = settler.process_recovery()
    assert done["settled"] == 1
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.status is S.SETTLED
    payout = db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign_id))
    # $100 collected: 5% platform fee, 3% + $0.20 processing.
    assert payout.amount == Money(10_000 - 500 - 320, "USD")
    assert payout.status is PayoutStatus.SCHEDULED
    assert payout.due_at >= campaign.deadline + app.config["PAYOUT_DELAY"] - timedelta(seconds=1)
    # Fourteen days after the deadline it is due.
    campaign.deadline -= timedelta(days=14)
    payout.due_at = campaign.deadline + app.config["PAYOUT_DELAY"]
    db.session.commit()
    settler.process_recovery()
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status is PayoutStatus.DUE


def test_webhook_records_an_authentication_completed_elsewhere(app, client, session, gw,
                                                              charged):
    """The backer completed 3-D Secure but never came back to our page: the
    ``payment_intent.succeeded`` webhook reads the PaymentIntent and records it once."""
    import json
    import time

    _, _, ids = charged
    waiting = recovery.waiting_authentication(pledge_of(ids["3ds"]))
    gw.complete_authentication(waiting.payment_intent_id)
    payload = json.dumps({"id": "evt_pi_1", "type": "payment_intent.succeeded",
                          "created": int(time.time()),
                          "data": {"object": {"id": waiting.payment_intent_id}}}).encode()
    session.commit()
    response = client.post("/webhooks/stripe", data=payload,
                           headers={"Stripe-Signature": gw.sign(payload),
                                    "Content-Type": "application/json"})
    assert response.status_code == 200
    assert pledge_of(ids["3ds"]).status is P.COLLECTED
    session.commit()
    assert ledger.check() == []
