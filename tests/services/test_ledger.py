"""The double-entry ledger: fees, balanced postings, booked once, and the check."""

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.models import Account, LedgerEntry, LedgerTransaction
from crowdfund.money import Money
from crowdfund.settlement.runner import Settler
from tests.factories import back_pledge as back
from tests.factories import ended, make_campaign


@pytest.mark.parametrize(
    ("amount", "platform", "processing"),
    [(10_000, 500, 320),  # $100: 5% and 3% + $0.20
     (2_550, 128, 97),  # $25.50: 127.5 rounds up to 128; 76.5 -> 77 + 20
     (999, 50, 55),  # under $10: 5% + $0.05
     (1, 0, 1)],  # never more than what is left after the platform fee
)
def test_fees(app, amount, platform, processing):
    with app.app_context():
        fees = ledger.fees_for(Money(amount, "USD"))
    assert (fees.platform.amount, fees.processing.amount) == (platform, processing)


def test_unbalanced_posting_is_refused(session):
    campaign = make_campaign()
    with pytest.raises(ledger.LedgerImbalance,
                       match=r"bad-1: debits and credits differ \{'USD': 1\}"):
        ledger.post("charge", "bad-1", campaign.id, None, [
            (Account.PROCESSOR_BALANCE, Money(100, "USD"), Money(0, "USD")),
            (Account.FOUNDER_PAYABLE, Money(0, "USD"), Money(99, "USD"))])
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction)) == 0


def test_a_source_is_booked_once(session):
    campaign = make_campaign()
    lines = [(Account.PROCESSOR_BALANCE, Money(100, "USD"), Money(0, "USD")),
             (Account.FOUNDER_PAYABLE, Money(0, "USD"), Money(100, "USD"))]
    assert ledger.post("charge", "once", campaign.id, None, lines) is not None
    session.flush()
    assert ledger.post("charge", "once", campaign.id, None, lines) is None


def test_settlement_books_each_collected_charge(app, session, gw):  # noqa: F811
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=10_000)
    back(campaign, gw, amount="100")
    back(campaign, gw, amount="25.50")
    back(campaign, gw, card="declines", amount="40")
    ended(campaign)
    session.commit()
    Settler(app, gw, worker="w", sleep=lambda s: None).settle(campaign.id)
    with app.app_context():
        assert ledger.check() == []
        cash = ledger.balance(Account.PROCESSOR_BALANCE, "USD", campaign.id)
        owed = ledger.balance(Account.FOUNDER_PAYABLE, "USD", campaign.id)
        fees = ledger.balance(Account.PLATFORM_FEES, "USD")
        processing = ledger.balance(Account.PROCESSING_FEES, "USD")
    assert cash == Money(12_550, "USD")  # the declined pledge is not money
    assert fees == Money(500 + 128, "USD") and processing == Money(320 + 97, "USD")
    assert owed == cash - fees - processing
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 0 and "ledger OK" in result.output


def test_check_finds_tampering_and_missing_bookings(app, session, gw):  # noqa: F811
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0, goal_minor=10_000)
    back(campaign, gw, amount="100")
    ended(campaign)
    session.commit()
    Settler(app, gw, worker="w", sleep=lambda s: None).settle(campaign.id)
    with app.app_context():
        entry = db.session.scalar(sa.select(LedgerEntry).where(
            LedgerEntry.account == Account.PLATFORM_FEES))
        entry.credit_minor += 1
        db.session.commit()
        problems = ledger.check()
    assert any("debits" in p and "credits" in p for p in problems)
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert result.exit_code == 1
    with app.app_context():
        db.session.execute(sa.delete(LedgerEntry))
        db.session.execute(sa.delete(LedgerTransaction))
        db.session.commit()
        problems = ledger.check()
    assert problems == ["charge attempt 1 succeeded but is not booked"]
