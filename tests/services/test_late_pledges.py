"""Late pledges on the fake gateway (docs/money.md#late-pledges): who may make one and
when (refusals named), the late price, charged once at once, and the read-back job that
finishes what the browser or a killed process left unanswered."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.late_settings import set_late_pledges
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.pledges import services as pledges
from crowdfund.pledges.late import LateClosed, late_totals, start_late_pledge
from crowdfund.pledges.models import Pledge, PledgeStatus, PledgeTransition
from crowdfund.settlement.late import begin_late_charge
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from tests.factories import CARDS, back, ended, make_campaign, make_tier, make_user, usd

S, P, C = CampaignStatus, PledgeStatus, ChargeStatus


@pytest.fixture
def late_campaign(session, gw, settler):
    """A funded reward campaign, charged, taking late pledges for 10 days; its tier ($25,
    late $30, 3 units, 1 taken on time)."""
    campaign = make_campaign(make_user(verified=True), status=S.LIVE, tiers=0,
                             goal_minor=2500)
    tier = make_tier(campaign, minimum_minor=2500, limit=3)
    tier.late_price_minor = 3000
    campaign.late_pledge_days = 10
    back(campaign, gw, "ok", "25", tier)
    ended(campaign)
    session.commit()
    settler.settle(campaign.id)
    session.expire_all()
    return campaign, tier


def _pay(gw, settler, pledge: Pledge, card: str = "ok") -> str:
    intent = pledges.ensure_setup_intent(pledge, pledge.backer, gw)
    gw.confirm_setup(intent.id, CARDS[card])
    pledges.save_card(pledge, gw)
    db.session.commit()
    return settler.charge_late(pledge.id)


def test_a_late_pledge_is_charged_once_at_once_with_audit_rows(session, gw, settler,
                                                               late_campaign):
    campaign, tier = late_campaign
    pledge = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    session.commit()
    assert _pay(gw, settler, pledge) == "succeeded"
    assert settler.charge_late(pledge.id) == "collected"  # again: nothing more is charged
    assert gw.calls.count("charge_on_session") == 1
    session.expire_all()
    assert pledge.status is P.COLLECTED
    moves = session.scalars(sa.select(PledgeTransition.to_status).where(
        PledgeTransition.pledge_id == pledge.id).order_by(PledgeTransition.id)).all()
    assert moves == [P.COLLECTED]
    assert session.get(type(campaign), campaign.id).pledged_at_deadline_minor == 2500
    assert late_totals(campaign).amount == usd(30)
    assert tier.claimed == 2


def test_refusals_name_the_rule(session, gw, settler, late_campaign):
    campaign, tier = late_campaign
    with pytest.raises(DomainError, match="Pledge at least") as refused:
        start_late_pledge(make_user(), campaign, tier, usd(29), None)
    assert refused.value.field == "amount"  # below the late price, though above the minimum
    with pytest.raises(NotAllowed, match="cannot back your own campaign"):
        start_late_pledge(campaign.founder, campaign, tier, usd(30), None)
    campaign.deadline -= timedelta(days=10)
    with pytest.raises(LateClosed, match="Late pledges for this campaign have closed"):
        start_late_pledge(make_user(), campaign, tier, usd(30), None)
    campaign.late_pledge_days = None
    with pytest.raises(LateClosed, match="takes no late pledges"):
        start_late_pledge(make_user(), campaign, tier, usd(30), None)


def test_a_campaign_not_funded_or_an_offering_takes_none(session):
    live = make_campaign(status=S.LIVE)
    live.late_pledge_days = 5
    with pytest.raises(LateClosed, match="Only a funded campaign takes late pledges"):
        start_late_pledge(make_user(), live, live.tiers[0], usd(100), None)
    failed = make_campaign(status=S.FAILED)
    failed.late_pledge_days, failed.pledged_at_deadline_minor = 5, 0
    with pytest.raises(LateClosed, match="Only a funded campaign takes late pledges"):
        start_late_pledge(make_user(), failed, failed.tiers[0], usd(100), None)
    equity = make_campaign(status=S.FUNDED, kind=CampaignKind.EQUITY)
    equity.late_pledge_days, equity.pledged_at_deadline_minor = 5, 1
    with pytest.raises(LateClosed, match="equity offering takes no late pledges"):
        start_late_pledge(make_user(), equity, None, usd(100), None)


def test_a_declined_late_pledge_is_cancelled_and_gives_its_unit_back(session, gw, settler,
                                                                     late_campaign):
    campaign, tier = late_campaign
    pledge = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    session.commit()
    assert _pay(gw, settler, pledge, "declines") == "failed"
    session.expire_all()
    assert pledge.status is P.CANCELLED and tier.claimed == 1
    assert late_totals(campaign).backers == 0


def test_the_read_back_job_collects_a_completed_3ds_and_cancels_an_abandoned_one(
        app, session, gw, settler, late_campaign):
    campaign, tier = late_campaign
    done = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    left = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    session.commit()
    assert _pay(gw, settler, done, "3ds") == "requires_action"
    assert _pay(gw, settler, left, "3ds") == "requires_action"
    attempts = {a.pledge_id: a for a in session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id.in_([done.id, left.id])))}
    gw.complete_authentication(attempts[done.id].payment_intent_id)  # then closed the tab
    assert settler.process_late() == 0  # too early to read back
    for attempt in attempts.values():
        attempt.created_at -= app.config["LATE_PLEDGE_PAY_WITHIN"]
    session.commit()
    assert settler.process_late() == 2
    session.expire_all()
    assert (done.status, left.status) == (P.COLLECTED, P.CANCELLED)
    assert gw.payment_intents[attempts[left.id].payment_intent_id]["status"] == "canceled"
    assert tier.claimed == 2  # the abandoned one's unit came back
    assert settler.process_late() == 0  # nothing left


def test_a_charge_killed_before_its_answer_is_resumed_with_the_same_key(
        app, session, gw, settler, late_campaign):
    campaign, tier = late_campaign
    pledge = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    session.commit()
    intent = pledges.ensure_setup_intent(pledge, pledge.backer, gw)
    gw.confirm_setup(intent.id, CARDS["ok"])
    pledges.save_card(pledge, gw)
    session.commit()
    # The process dies after the gateway charged, before recording: the attempt is started.
    real = gw.charge_on_session

    def charged_then_killed(**request):
        real(**request)
        raise SystemExit("killed after the charge")

    gw.charge_on_session = charged_then_killed
    with pytest.raises(SystemExit, match="killed after the charge"):
        settler.charge_late(pledge.id)
    gw.charge_on_session = real
    attempt = session.scalar(sa.select(ChargeAttempt).where(ChargeAttempt.pledge_id == pledge.id))
    assert attempt.status is C.STARTED
    attempt.created_at -= app.config["LATE_PLEDGE_READ_BACK_AFTER"]
    session.commit()
    assert settler.process_late() == 1
    session.expire_all()
    assert pledge.status is P.COLLECTED
    assert len([p for p in gw.payment_intents.values()
                if p["metadata"]["pledge_id"] == str(pledge.id)]) == 1  # replayed, not twice


def test_a_pending_late_pledge_is_never_replaced(session, gw, settler, late_campaign):
    campaign, tier = late_campaign
    backer = make_user()
    start_late_pledge(backer, campaign, tier, usd(30), None)
    session.commit()
    with pytest.raises(pledges.AlreadyBacking, match="already back this campaign"):
        start_late_pledge(backer, campaign, tier, usd(30), None)


def test_the_founders_choice_changes_no_late_pledge_already_paid(session, gw, settler,
                                                                  late_campaign):
    campaign, tier = late_campaign
    pledge = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    session.commit()
    assert _pay(gw, settler, pledge) == "succeeded"
    session.expire_all()
    set_late_pledges(campaign, 20, {tier.id: usd(50)})
    session.commit()
    assert (tier.late_price, campaign.late_pledge_days) == (usd(50), 20)
    assert session.get(Pledge, pledge.id).amount == usd(30)
    assert late_totals(campaign).amount == usd(30)
    with pytest.raises(DomainError, match="Choose from 1 to 60 days"):
        set_late_pledges(campaign, 61, {})
    with pytest.raises(DomainError, match="above zero"):
        set_late_pledges(campaign, 5, {tier.id: usd(0)})
    campaign.status = S.SETTLED
    with pytest.raises(DomainError, match="can no longer be changed"):
        set_late_pledges(campaign, 5, {})
    offering = make_campaign(status=S.LIVE, kind=CampaignKind.EQUITY)
    with pytest.raises(DomainError, match="equity offering takes no late pledges"):
        set_late_pledges(offering, 5, {})


def test_the_webhook_records_a_late_pledge_confirmed_elsewhere(client, session, gw, settler,
                                                               late_campaign):
    """3-D Secure completed, the tab closed: ``payment_intent.succeeded`` reads it back."""
    campaign, tier = late_campaign
    pledge = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    session.commit()
    assert _pay(gw, settler, pledge, "3ds") == "requires_action"
    attempt = session.scalar(sa.select(ChargeAttempt).where(ChargeAttempt.pledge_id == pledge.id))
    gw.complete_authentication(attempt.payment_intent_id)
    payload = json.dumps({"id": "evt_late_1", "type": "payment_intent.succeeded",
                          "created": int(time.time()),
                          "data": {"object": {"id": attempt.payment_intent_id}}}).encode()
    session.commit()
    response = client.post("/webhooks/stripe", data=payload,
                           headers={"Stripe-Signature": gw.sign(payload),
                                    "Content-Type": "application/json"})
    assert response.status_code == 200
    session.expire_all()
    assert pledge.status is P.COLLECTED and late_totals(campaign).amount == usd(30)
    assert ledger.check() == []


def test_a_late_charge_reconciled_as_never_sent_ends_the_pledge(app, session, gw, settler,
                                                                late_campaign):
    campaign, tier = late_campaign
    pledge = start_late_pledge(make_user(), campaign, tier, usd(30), None)
    session.commit()
    intent = pledges.ensure_setup_intent(pledge, pledge.backer, gw)
    gw.confirm_setup(intent.id, CARDS["ok"])
    pledges.save_card(pledge, gw)
    attempt = begin_late_charge(pledge)
    session.commit()
    assert settler.process_late() == 0  # begun just now: left to the card page
    attempt.status = C.NOT_SENT  # what reconciliation records after a day unanswered
    session.commit()
    settler.process_late()
    session.expire_all()
    assert pledge.status is P.CANCELLED and tier.claimed == 1
