"""`flask settle` as real processes: two at once, and killed (SIGKILL) at many points.

After every kill and at the end, the sandbox is asked what was charged: never more than one
successful PaymentIntent per pledge, and in the end exactly one for each collected pledge.
"""

import signal
import time
from collections import Counter

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.ledger.services import check as check_ledger
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.models import ChargeAttempt
from tests.sandbox import (
    DECLINES_AT_CHARGE,
    OK,
    back,
    end,
    new_campaign,
    sandbox_charges,
    settle_process,
)

FINAL = {PledgeStatus.COLLECTED, PledgeStatus.ERRORED}


def charge_requests(sandbox) -> int:
    return sandbox.get("/_config/faults/seen").get("POST /v1/payment_intents", 0)


def succeeded_per_pledge(sandbox, campaign_id) -> Counter:
    return Counter(pi["metadata"]["pledge_id"] for pi in sandbox_charges(sandbox, campaign_id)
                   if pi["status"] == "succeeded")


def test_two_processes_at_once_make_one_set_of_charges(app, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=10_000)
    made = [back(app, stripe_sandbox, campaign_id, OK, "30") for _ in range(12)]
    end(app, campaign_id)
    stripe_sandbox.faults({"path_prefix": "/v1/payment_intents", "delay": 0.05, "count": 1000})
    first, second = settle_process(app, stripe_sandbox), settle_process(app, stripe_sandbox)
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert any("funded: charged" in out for out in outputs), outputs
    assert any("skipped: another process" in out or out.strip() == "" for out in outputs), outputs
    per_pledge = succeeded_per_pledge(stripe_sandbox, campaign_id)
    assert per_pledge == Counter({str(pledge_id): 1 for pledge_id in made})


def test_killed_at_many_points_never_charges_twice(app, stripe_sandbox):
    campaign_id = new_campaign(app, goal_minor=10_000)
    cards = [OK] * 14 + [DECLINES_AT_CHARGE] * 2
    made = [back(app, stripe_sandbox, campaign_id, card, "25") for card in cards]
    end(app, campaign_id)
    # Slow every charge a little so that kills land before, during and after gateway calls.
    stripe_sandbox.faults({"path_prefix": "/v1/payment_intents", "delay": 0.08, "count": 10_000})
    env = {"SETTLE_CONCURRENCY": "2", "SETTLE_REQUESTS_PER_SECOND": "40", "SETTLE_BATCH": "4"}
    kills = 0
    # Kill at startup, then after k more charge requests reached the sandbox: with each
    # charge delayed, the kill usually lands while a call is in flight (attempt row
    # committed, outcome not yet recorded), the window that could double-charge.
    for k in (0, 1, 1, 2, 3, 2, 4, 3, 5):
        before = charge_requests(stripe_sandbox)
        process = settle_process(app, stripe_sandbox, **env)
        deadline = time.monotonic() + 30
        if k == 0:
            time.sleep(0.3)  # still starting up
        while (k and process.poll() is None and time.monotonic() < deadline
               and charge_requests(stripe_sandbox) < before + k):
            time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=60)
        assert max(succeeded_per_pledge(stripe_sandbox, campaign_id).values(), default=0) <= 1
        with app.app_context():  # the killed process's claim lapses (time travel)
            db.session.execute(sa.update(Campaign).where(Campaign.id == campaign_id).values(
                settlement_claimed_by=None, settlement_claimed_until=None))
            db.session.commit()
    assert kills >= 6
    final = settle_process(app, stripe_sandbox, **env)
    output = final.communicate(timeout=120)[0]
    assert final.returncode == 0, output
    with app.app_context():
        rows = {p.id: p for p in db.session.scalars(
            sa.select(Pledge).where(Pledge.campaign_id == campaign_id))}
        campaign = db.session.get(Campaign, campaign_id)
        attempts = db.session.scalars(sa.select(ChargeAttempt)).all()
    assert campaign.status is CampaignStatus.COLLECTING, output
    assert {p.status for p in rows.values()} <= FINAL
    collected = {str(i) for i, p in rows.items() if p.status is PledgeStatus.COLLECTED}
    per_pledge = succeeded_per_pledge(stripe_sandbox, campaign_id)
    assert set(per_pledge) == collected and set(per_pledge.values()) == {1}
    assert len(collected) == 14 and len(made) == 16
    # One attempt per pledge: every resume reused the attempt and its key.
    assert Counter(a.pledge_id for a in attempts) == Counter({i: 1 for i in made})
    with app.app_context():
        assert check_ledger() == []  # balanced, and it agrees with pledges and charges
