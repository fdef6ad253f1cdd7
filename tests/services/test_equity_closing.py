"""Closing an offering: allocation above the maximum (both policies), charging what was
allocated, issuing securities only for collected commitments, and a failed offering that
charges nobody and issues nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.equity import investing
from crowdfund.equity.closing import cap_table
from crowdfund.equity.models import AllocationPolicy, Holding, SecurityType
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.money import Money
from crowdfund.pledges import services as pledges
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.models import ChargeAttempt
from tests.factories import CARDS, ended, investor, live_offering

S, P = CampaignStatus, PledgeStatus


def usd(major):
    return Money.from_decimal(str(major), "USD")


def invest(campaign, gw, amount, card="ok", income="10000000", worth="10000000"):
    person = investor(income=income, worth=worth)
    pledge = investing.start_investment(person, campaign, usd(amount))
    intent = pledges.ensure_setup_intent(pledge, person, gw)
    gw.confirm_setup(intent.id, CARDS[card])
    pledges.confirm_card(pledge, gw)
    return pledge.id


def offering_with(policy, security=SecurityType.COMMON_STOCK):
    """Target $50,000, maximum $100,000, price $1.30 (stock) or a SAFE."""
    campaign = live_offering(security)
    offering = offering_of(campaign)
    offering.allocation = policy
    return campaign


def charged_amounts(campaign_id):
    return {a.pledge_id: a.amount_minor for a in db.session.scalars(
        sa.select(ChargeAttempt).where(ChargeAttempt.campaign_id == campaign_id))}


@pytest.mark.parametrize("policy", [AllocationPolicy.PRO_RATA, AllocationPolicy.FIRST_COME])
def test_oversubscribed_offering_charges_only_what_was_allocated(app, session, gw, settler,
                                                                 policy):
    campaign = offering_with(policy)
    asked = {invest(campaign, gw, a): a for a in ("60000", "50000", "40000")}  # $150k
    ended(campaign)
    campaign_id = campaign.id
    session.commit()
    settler.settle(campaign_id)
    db.session.expire_all()
    rows = {p.id: p for p in db.session.scalars(sa.select(Pledge))}
    charged = charged_amounts(campaign_id)
    assert sum(charged.values()) <= 100_000_00  # never more than the maximum
    for pledge_id, typed in asked.items():
        pledge = rows[pledge_id]
        committed = pledge.committed_minor or pledge.amount_minor
        assert committed <= usd(typed).amount
        assert charged.get(pledge_id, 0) <= committed  # nobody gets more than they asked
        if pledge.status is P.COLLECTED:
            assert charged[pledge_id] == pledge.amount_minor == pledge.shares * 130
    if policy is AllocationPolicy.FIRST_COME:
        first, second, third = asked
        assert rows[first].amount_minor == 46_153 * 130  # whole shares, as invested
        assert rows[second].shares == (100_000_00 - 46_153 * 130) // 130
        assert rows[third].status is P.RELEASED and third not in charged
    else:
        shares = sorted(r.shares for r in rows.values())
        assert sum(shares) == 100_000_00 // 130  # pro rata reaches the maximum in shares
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.pledged_at_deadline_minor == sum(charged.values())
    assert ledger.check() == []


def test_securities_are_issued_for_collected_commitments_only(app, session, gw, settler):
    campaign = offering_with(AllocationPolicy.PRO_RATA)
    good = invest(campaign, gw, "30000")
    second = invest(campaign, gw, "25000")
    declined = invest(campaign, gw, "5000", card="declines")
    ended(campaign)
    campaign_id = campaign.id
    session.commit()
    settler.settle(campaign_id)
    campaign = db.session.get(Campaign, campaign_id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Holding)) == 0
    # The collection window closes with the declined commitment unpaid: it is dropped.
    pledge = db.session.get(Pledge, declined)
    pledge.payment_failed_at = utcnow() - timedelta(days=8)
    campaign.collection_ends_at = utcnow() - timedelta(seconds=1)
    session.commit()
    settler.process_recovery()
    db.session.expire_all()
    assert db.session.get(Campaign, campaign_id).status is S.SETTLED
    table = cap_table(db.session.get(Campaign, campaign_id))
    assert sorted(h.pledge_id for h in table) == sorted([good, second])
    holding = next(h for h in table if h.pledge_id == good)
    assert holding.shares == 23_076 and holding.principal == Money(23_076 * 130, "USD")
    assert holding.price_per_share == usd("1.30")
    settler.process_recovery()  # issuing again changes nothing
    assert len(cap_table(db.session.get(Campaign, campaign_id))) == 2


def test_failed_offering_charges_nobody_and_issues_nothing(app, session, gw, settler):
    campaign = offering_with(AllocationPolicy.PRO_RATA)
    made = [invest(campaign, gw, "20000"), invest(campaign, gw, "10000")]  # under $50k
    ended(campaign)
    campaign_id = campaign.id
    session.commit()
    report = settler.settle(campaign_id)
    assert report.outcome == "failed: nobody charged"
    assert "charge_off_session" not in gw.calls
    db.session.expire_all()
    assert {db.session.get(Pledge, i).status for i in made} == {P.RELEASED}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Holding)) == 0


def test_holdings_pages_and_cap_table(app, client, auth, session, gw, settler):
    import csv
    import io

    campaign = offering_with(AllocationPolicy.FIRST_COME)
    first = invest(campaign, gw, "30000")
    second = invest(campaign, gw, "26000")
    ended(campaign)
    campaign_id = campaign.id
    session.commit()
    settler.settle(campaign_id)
    campaign = db.session.get(Campaign, campaign_id)
    campaign.collection_ends_at = utcnow() - timedelta(seconds=1)
    session.commit()
    settler.process_recovery()
    db.session.expire_all()
    holder = db.session.get(Pledge, first).backer
    other = db.session.get(Pledge, second).backer
    founder = db.session.get(Campaign, campaign_id).founder
    holding = db.session.scalar(sa.select(Holding).where(Holding.pledge_id == first))
    session.commit()
    auth.login_as(holder)
    page = client.get("/invest/holdings").get_data(as_text=True)
    assert "Tidewater Instruments Inc." in page and "23,076" in page
    text = client.get(f"/invest/holdings/{holding.id}/confirmation.txt").get_data(as_text=True)
    assert "CONFIRMATION OF SECURITIES ISSUED" in text and "23,076 at $1.30" in text
    client.post("/logout")
    auth.login_as(other)
    assert client.get(f"/invest/holdings/{holding.id}/confirmation.txt").status_code == 404
    client.post("/logout")
    auth.login_as(founder)
    page = client.get(f"/studio/{campaign_id}/cap-table").get_data(as_text=True)
    assert holder.email in page and other.email in page
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/studio/{campaign_id}/cap-table.csv").get_data(as_text=True))))
    assert sorted(int(r["shares"]) for r in rows) == sorted([23_076, 20_000])
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("55998.80")


def test_investors_hear_of_the_50_and_100_percent_milestones(app, session, gw):
    from crowdfund.notifications.models import OutboxMessage

    def posted():
        return {m.dedupe_key for m in session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "milestone"))}

    campaign = offering_with(AllocationPolicy.PRO_RATA)  # target $50,000, $1.30 a share
    first = invest(campaign, gw, "20000")  # $19,999.90: under 50%
    assert posted() == set()
    second = invest(campaign, gw, "6000")  # $25,999.80 in all: 50% reached
    assert posted() == {f"campaign-{campaign.id}-milestone-50-pledge-{i}"
                        for i in (first, second)}
    third = invest(campaign, gw, "30000")  # over 100%: everyone hears of both
    assert posted() == {f"campaign-{campaign.id}-milestone-{p}-pledge-{i}"
                        for p in (50, 100) for i in (first, second, third)}
