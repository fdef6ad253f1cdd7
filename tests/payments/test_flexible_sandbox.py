"""Flexible funding end to end against the sandbox over HTTP through the real Stripe adapter
(issue 28): pledges saved as the browser saves them, the deadline passed below the goal.
A flexible campaign charges every active pledge once, tells its backers and founder so
honestly, settles and pays the founder, and the ledger check passes; an all-or-nothing one
below its goal charges nobody, as before."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus, FundingModel
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.notifications.models import OutboxMessage
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import payouts
from crowdfund.settlement.models import Payout, PayoutStatus
from tests.factories import make_campaign, make_user
from tests.sandbox import DECLINES_AT_CHARGE, OK, back, end, pledge_rows, sandbox_charges, settler

S, F = CampaignStatus, FundingModel
GOAL = 1_000_000  # $10,000.00: far above what is pledged below


def _campaign(app, model: FundingModel) -> int:
    """A live campaign whose founder is verified (to be paid)."""
    with app.app_context():
        campaign = make_campaign(make_user(verified=True), status=S.LIVE, tiers=0,
                                 goal_minor=GOAL, funding_model=model)
        db.session.commit()
        return campaign.id


def _ledger_checks(app) -> None:
    """``flask ledger check``, as operators run it."""
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output
    assert "ledger OK" in result.output


def _outcome_emails(app, campaign_id: int) -> dict[int, OutboxMessage]:
    """The outcome messages queued, by recipient."""
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "campaign_outcome")).all()
        founder_id = db.session.get(Campaign, campaign_id).founder_id
        db.session.expunge_all()
        return {("founder" if m.recipient_id == founder_id else m.recipient_id): m
                for m in rows}


def test_a_flexible_campaign_below_its_goal_charges_every_active_pledge_and_pays_the_founder(
        app, stripe_sandbox):
    campaign_id = _campaign(app, F.FLEXIBLE)
    good = [back(app, stripe_sandbox, campaign_id, OK, amount) for amount in ("120", "35.50")]
    declining = back(app, stripe_sandbox, campaign_id, DECLINES_AT_CHARGE, "40")
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.outcome == "funded: charged"
    assert report.counts == {"succeeded": 2, "failed": 1}, report

    # Every active pledge charged once at the gateway, below the goal as it is.
    charges = sandbox_charges(stripe_sandbox, campaign_id)
    made = {int(pi["metadata"]["pledge_id"]): (pi["amount"], pi["status"]) for pi in charges}
    assert made == {good[0]: (12_000, "succeeded"), good[1]: (3_550, "succeeded"),
                    declining: (4_000, "requires_payment_method")}, made
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.status is S.COLLECTING
        assert campaign.pledged_at_deadline_minor == 19_550 and campaign.flexible_below_goal
        db.session.remove()
    _ledger_checks(app)

    # Told honestly: below the goal, charged all the same; no word of all or nothing.
    told = _outcome_emails(app, campaign_id)
    backers = pledge_rows(app, campaign_id)
    assert set(told) == {"founder", *(p.backer_id for p in backers.values())}
    for pledge_id in good:
        message = told[backers[pledge_id].backer_id]
        assert message.subject.endswith("ended below its goal: your pledge is charged")
        assert "As a flexible campaign, the founder keeps what was raised" in message.text_body
        assert "crowdfund: flexible funding." in message.text_body
    assert told["founder"].subject.endswith("ended below its goal")
    assert "you keep what was raised" in told["founder"].text_body
    assert not [m.dedupe_key for m in told.values()
                if "all or nothing" in m.text_body.lower()]

    # The declined backer never pays: after the window, the final retry and the drop; the
    # campaign is settled and its payout falls due.
    with app.app_context():
        window = app.config["COLLECTION_WINDOW"]
        db.session.get(Pledge, declining).payment_failed_at -= window
        campaign = db.session.get(Campaign, campaign_id)
        campaign.collection_ends_at = utcnow() - timedelta(minutes=1)
        campaign.deadline -= app.config["PAYOUT_DELAY"] + window
        db.session.commit()
    done = settler(app).process_recovery()
    assert {k: done[k] for k in ("final retries", "dropped", "settled", "payouts due")} == {
        "final retries": 1, "dropped": 1, "settled": 1, "payouts due": 1}, done
    assert len(sandbox_charges(stripe_sandbox, campaign_id)) == 4  # the final retry's

    # The founder is paid what the two charges left after the fees, and owed nothing.
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status is S.SETTLED
        fees = [ledger.fees_for(p.amount) for p in db.session.scalars(sa.select(Pledge).where(
            Pledge.id.in_(good)))]
        owed = ledger.founder_owed(campaign_id, "USD")
        assert owed.amount == 15_550 - sum(f.platform.amount + f.processing.amount
                                           for f in fees) > 0
        payout = db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign_id))
        payouts.mark_paid(payout, make_user(operator=True), "BANK-FLEX-1")
        db.session.commit()
        assert (payout.status, payout.amount) == (PayoutStatus.PAID, owed)
        assert ledger.founder_owed(campaign_id, "USD").amount == 0
        db.session.remove()
    _ledger_checks(app)


def test_an_all_or_nothing_campaign_below_its_goal_charges_nobody(app, stripe_sandbox):
    campaign_id = _campaign(app, F.ALL_OR_NOTHING)
    for amount in ("120", "35.50"):
        back(app, stripe_sandbox, campaign_id, OK, amount)
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.outcome == "failed: nobody charged"
    assert sandbox_charges(stripe_sandbox, campaign_id) == []
    assert {p.status for p in pledge_rows(app, campaign_id).values()} == {
        PledgeStatus.RELEASED}
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status is S.FAILED
        assert db.session.scalar(sa.select(Payout).where(
            Payout.campaign_id == campaign_id)) is None
        db.session.remove()
    told = _outcome_emails(app, campaign_id)
    assert "All or nothing: no backer is charged" in told.pop("founder").text_body
    assert all("You have not been charged and will not be" in m.text_body
               for m in told.values())
    _ledger_checks(app)
