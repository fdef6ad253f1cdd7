"""Settlement moves forward however often it is killed: each outcome is saved soon after
the gateway answered (not once a whole batch has been), and few attempts are begun ahead
of their calls. The same with a real ``flask settle`` SIGKILLed every 5 seconds against
the sandbox: ``tests/payments/test_settle_kills.py``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.payments.fake import FakeGateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.settlement.runner import Settler
from tests.factories import back_pledge, ended, make_campaign

S, P, C = CampaignStatus, PledgeStatus, ChargeStatus


class Killed(BaseException):
    """The process died here (nothing below it runs, nothing catches it)."""


def _attempts(app) -> dict[ChargeStatus, int]:
    with app.app_context():
        return dict(db.session.execute(sa.select(ChargeAttempt.status, sa.func.count())
                                       .group_by(ChargeAttempt.status)).all())


def test_a_run_killed_mid_batch_keeps_the_outcomes_it_had(app, session, gw, settler,
                                                          monkeypatch):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=10_000)
    made = [back_pledge(campaign, gw, amount="10") for _ in range(30)]
    ended(campaign)
    session.commit()
    charge, calls = gw.charge_off_session, []

    def dies_at_the_23rd(**call):
        calls.append(call["idempotency_key"])
        if len(calls) >= 23:
            raise Killed("the process died")  # and nothing goes out after it
        return charge(**call)

    monkeypatch.setattr(gw, "charge_off_session", dies_at_the_23rd)
    settler.concurrency, settler.group, settler.record_every = 1, 4, 5
    with pytest.raises(Killed, match="died"):
        settler.settle(campaign.id)  # one batch of 200: all 30 pledges
    counts = _attempts(app)
    # 22 answered: recorded five at a time as they came, not one of them lost with the
    # batch; the rest never begun (at most a group and two rounds of calls begun ahead).
    assert counts[C.SUCCEEDED] >= 20
    assert counts[C.STARTED] <= settler.group + 2 * settler.concurrency + settler.record_every
    assert sum(counts.values()) < 30
    with app.app_context():
        db.session.execute(sa.update(Campaign).values(settlement_claimed_by=None))
        db.session.commit()
    monkeypatch.setattr(gw, "charge_off_session", charge)
    assert settler.settle(campaign.id).outcome == "funded: charged"
    with app.app_context():
        statuses = set(db.session.scalars(sa.select(Pledge.status).where(
            Pledge.id.in_([p.id for p in made]))))
    assert statuses == {P.COLLECTED}
    assert _attempts(app) == {C.SUCCEEDED: 30}  # one attempt each: resumed with its key
    assert sum(pi["status"] == "succeeded" for pi in gw.payment_intents.values()) == 30


def test_the_group_begun_ahead_follows_the_rate_budget(app, monkeypatch):
    """About one record interval's calls are begun ahead: 10 at 10 requests/s, 40 at 40/s
    (never fewer than the calls at once, never more than a transaction records)."""
    monkeypatch.setitem(app.config, "SETTLE_CONCURRENCY", 4)
    for rate, group in ((1, 4), (10, 10), (40, 40), (1_000_000, 100)):
        monkeypatch.setitem(app.config, "SETTLE_REQUESTS_PER_SECOND", rate)
        assert Settler(app, FakeGateway()).group == group
