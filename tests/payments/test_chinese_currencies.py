"""Campaigns raising yuan, Hong Kong, Taiwan and Singapore dollars, end to end against the
sandbox over HTTP through the real Stripe adapter: pledges saved as the browser saves
them, the campaign funded and charged, the gateway's fees read back, the founder paid.
At the sandbox each PaymentIntent is in minor units and the currency's lower-case code;
in the ledger everything is in that currency, balanced, the fees computed in it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import Account, LedgerEntry, LedgerTransaction
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge
from crowdfund.settlement import payouts
from crowdfund.settlement.models import Payout, PayoutStatus
from tests.factories import make_campaign, make_user
from tests.sandbox import DECLINES_AT_CHARGE, OK, back, end, sandbox_charges, settler

#: What each backer pledges, in major units of the campaign's currency.
PLEDGED = ("1288", "66.66")


def _campaign(app, currency: str) -> int:
    """A live campaign in ``currency`` whose founder is verified (to be paid)."""
    with app.app_context():
        campaign = make_campaign(make_user(verified=True), status=CampaignStatus.LIVE,
                                 tiers=0, goal_minor=100_000, currency=currency)
        db.session.commit()
        return campaign.id


def _currencies_booked(campaign_id: int) -> set[str]:
    return set(db.session.scalars(
        sa.select(LedgerEntry.currency).join(LedgerTransaction)
        .where(LedgerTransaction.campaign_id == campaign_id)))


@pytest.mark.parametrize("currency", ["CNY", "HKD", "TWD", "SGD"])
def test_a_campaign_in_a_chinese_currency_is_charged_booked_and_paid_out_in_it(
        app, stripe_sandbox, currency):
    campaign_id = _campaign(app, currency)
    good = [back(app, stripe_sandbox, campaign_id, OK, amount) for amount in PLEDGED]
    declining = back(app, stripe_sandbox, campaign_id, DECLINES_AT_CHARGE, "500")
    end(app, campaign_id)
    report = settler(app).settle(campaign_id)
    assert report.counts == {"succeeded": 2, "failed": 1}, report

    # At the gateway: minor units, the lower-case code.
    charges = sandbox_charges(stripe_sandbox, campaign_id)
    assert {pi["currency"] for pi in charges} == {currency.lower()}
    amounts = {int(pi["metadata"]["pledge_id"]): (pi["amount"], pi["status"]) for pi in charges}
    assert amounts == {good[0]: (128_800, "succeeded"), good[1]: (6_666, "succeeded"),
                       declining: (50_000, "requires_payment_method")}, amounts

    # In the ledger: that currency only, the fees computed in it, what the gateway holds.
    with app.app_context():
        fees = [ledger.fees_for(Money(amount, currency)) for amount in (128_800, 6_666)]
        assert {f.platform.currency for f in fees} | {f.processing.currency for f in fees} == {
            currency}
        assert ledger.check() == []
        assert _currencies_booked(campaign_id) == {currency}
        assert ledger.balance(Account.PROCESSOR_BALANCE, currency, campaign_id).amount == (
            128_800 + 6_666)
        platform = ledger.balance(Account.PLATFORM_FEES, currency, campaign_id)
        assert platform == Money(sum(f.platform.amount for f in fees), currency)
        assert ledger.balance(Account.PROCESSING_FEES, currency, campaign_id) == Money(
            sum(f.processing.amount for f in fees), currency)
        db.session.remove()

    # The gateway's own fees (the sandbox's: none) replace the estimates, in that currency.
    result = app.test_cli_runner().invoke(args=["ledger", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "0 differences seen (0 new); 2 processing fees corrected" in result.output
    with app.app_context():
        assert ledger.balance(Account.PROCESSING_FEES, currency, campaign_id).amount == 0
        owed = ledger.founder_owed(campaign_id, currency)
        assert owed == Money(128_800 + 6_666, currency) - platform
        db.session.remove()

    # The declined backer never pays: after the window, the final retry and the drop; the
    # campaign is settled and its payout falls due.
    with app.app_context():
        window = app.config["COLLECTION_WINDOW"]
        pledge = db.session.get(Pledge, declining)
        pledge.payment_failed_at -= window
        campaign = db.session.get(Campaign, campaign_id)
        campaign.collection_ends_at = utcnow() - timedelta(minutes=1)
        campaign.deadline -= app.config["PAYOUT_DELAY"] + window
        db.session.commit()
    done = settler(app).process_recovery()
    assert {k: done[k] for k in ("final retries", "dropped", "settled", "payouts due")} == {
        "final retries": 1, "dropped": 1, "settled": 1, "payouts due": 1}, done
    assert {pi["currency"] for pi in sandbox_charges(stripe_sandbox, campaign_id)} == {
        currency.lower()}

    # The founder is paid by hand what they are owed, in that currency, and owed nothing.
    with app.app_context():
        payout = db.session.scalar(sa.select(Payout).where(Payout.campaign_id == campaign_id))
        payouts.mark_paid(payout, make_user(operator=True), "BANK-CN-1")
        db.session.commit()
        assert (payout.status, payout.amount) == (PayoutStatus.PAID, owed)
        assert ledger.founder_owed(campaign_id, currency).amount == 0
        assert ledger.balance(Account.PAYOUTS, currency, campaign_id) == owed
        assert _currencies_booked(campaign_id) == {currency}
        assert ledger.check() == []
        db.session.remove()
