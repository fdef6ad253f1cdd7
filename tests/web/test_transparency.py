"""What backers see to judge a campaign: the charts' numbers equal the pledges (summed from
the SVG itself), referral sources, honest totals after settlement, spending and delivery
reports with the "late" flag."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.delivery import late_deliveries
from crowdfund.community.models import DeliveryReport, SpendingReport
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import payouts, recovery
from crowdfund.settlement.models import Payout, PayoutStatus
from tests.factories import (
    make_campaign,
    make_pledge,
    make_tier,
    make_user,
    pledge_of,
    refund_now,
    usd,
)

S, P = CampaignStatus, PledgeStatus


def svg(page: str, chart: str) -> ET.Element:
    """The chart's <svg> element, parsed as XML (so it is well-formed, too)."""
    match = re.search(rf'<svg[^>]*data-chart="{chart}".*?</svg>', page, re.S)
    assert match, chart
    return ET.fromstring(match.group(0))  # noqa: S314 - our own page, in a test


def points(element: ET.Element, attribute: str = "data-value") -> list[int]:
    return [int(e.get(attribute)) for e in element.iter() if e.get(attribute) is not None]


def _at(pledge: Pledge, days_ago: int) -> None:
    pledge.created_at = utcnow() - timedelta(days=days_ago)


def test_the_funding_chart_sums_to_the_pledges(app, client, session):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=50_000, days_left=20)
    amounts = {9: [2500, 1000], 7: [12_345], 2: [500], 0: [4000]}
    for days_ago, values in amounts.items():
        for amount in values:
            _at(make_pledge(campaign, amount_minor=amount), days_ago)
    _at(make_pledge(campaign, amount_minor=99_999, status=P.CANCELLED), 3)  # not counted
    _at(make_pledge(campaign, amount_minor=77_777, status=P.PENDING), 1)  # not counted
    session.commit()
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    chart = svg(page, "funding-chart")
    daily = points(chart)
    total = sum(sum(v) for v in amounts.values())
    assert sum(daily) == total == 20_345
    assert len(daily) == 11  # launch day (10 days ago) to today, one bar per day
    assert points(chart, "data-total")[-1] == total
    assert "$203.45" in page  # the same total next to it
    # Readable without the picture: a summary as its accessible name, numbers as a table.
    assert chart.get("role") == "img"
    assert "$203.45 pledged in total" in chart.find("title").text
    assert "<summary>The numbers</summary>" in page and "$123.45" in page
    figure = page[page.index('id="funding-chart"'):]
    assert "<script" not in figure[:figure.index("</figure>")]


def test_the_chart_has_y_values_small_totals_show_and_one_day_reads_once(client, session):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000, days_left=20)
    campaign.launched_at = utcnow()  # launched today: one day
    _at(make_pledge(campaign, amount_minor=500), 0)  # $5 against a $10,000 goal
    session.commit()
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    chart = svg(page, "funding-chart")
    texts = [e for e in chart.iter() if e.tag.endswith("text")]
    ticks = [t.text for t in texts if "tick" in (t.get("class") or "")]
    assert ticks[0] == "$0" and len(ticks) >= 3 and "$10,000" in ticks  # the goal's scale
    bar = next(r for r in chart.iter() if r.get("data-value") == "500")
    assert float(bar.get("height")) >= 2  # $5 is still visible above the axis
    dates = [t.text for t in texts
             if "tick" not in (t.get("class") or "") and not (t.text or "").startswith("Goal")]
    assert len(dates) == 1  # "2 Dec", not "2 Dec ... 2 Dec"
    assert " on " in chart.find("title").text


def test_referral_sources_and_founder_charts(app, client, auth, session):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=50_000)
    big = make_tier(campaign, minimum_minor=5000)
    small = make_tier(campaign, minimum_minor=1000)
    backer = make_user()
    session.commit()
    auth.login_as(backer)
    client.get(f"/campaigns/{campaign.slug}?ref=Newsletter")
    client.get(f"/campaigns/{campaign.slug}?ref=<script>")  # junk: ignored, keeps the last
    response = client.post(f"/campaigns/{campaign.slug}/pledge",
                           data={"tier": str(big.id), "amount": "60"})
    assert response.status_code == 302
    pledge = session.scalar(sa.select(Pledge).where(Pledge.backer_id == backer.id))
    assert pledge.ref == "newsletter"
    pledge.status = P.ACTIVE
    for ref, tier, amount in [("newsletter", small, 1500), ("podcast", small, 1000),
                              (None, None, 700), ("podcast", big, 5000)]:
        p = make_pledge(campaign, amount_minor=amount, tier=tier)
        p.ref = ref
    make_pledge(campaign, amount_minor=90_000, status=P.CANCELLED).ref = "podcast"
    session.commit()
    auth.logout()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/insights").get_data(as_text=True)
    sources = svg(page, "founder-by-source")
    by_label = {e.get("data-label"): (int(e.get("data-value")), int(e.get("data-count")))
                for e in sources.iter() if e.get("data-label")}
    assert by_label == {"newsletter": (7500, 2), "podcast": (6000, 2), "direct": (700, 1)}
    tiers = {e.get("data-label"): int(e.get("data-value"))
             for e in svg(page, "founder-by-tier").iter() if e.get("data-label")}
    assert tiers == {big.title: 11_000, small.title: 2500, "No reward": 700}
    assert sum(points(svg(page, "founder-per-day"))) == 5  # five counted pledges
    assert sum(points(svg(page, "founder-funding"))) == 14_200
    assert "Pledges at risk at the deadline: 5" in page  # make_pledge saves no card
    auth.logout()
    auth.login_as(make_user())
    assert client.get(f"/studio/{campaign.id}/insights").status_code == 404


def test_honest_totals_after_a_settlement_with_dropped_and_refunded_pledges(
        app, client, session, gw, funded, settler):  # noqa: F811
    campaign_id, (first, _second, errored) = funded
    operator = make_user(operator=True)
    assert refund_now(settler, pledge_of(first), usd(30), operator) == "succeeded"
    recovery.drop(pledge_of(errored))  # (pledge_of expires the session: before the change)
    campaign = db.session.get(Campaign, campaign_id)
    campaign.collection_ends_at = campaign.deadline
    session.commit()
    settler.process_recovery()
    db.session.expire_all()
    payout = db.session.scalar(sa.select(Payout))
    payout.due_at = utcnow() - timedelta(minutes=1)
    session.commit()
    settler.process_recovery()
    db.session.expire_all()
    payout = db.session.scalar(sa.select(Payout))
    assert payout.status is PayoutStatus.DUE
    payouts.mark_paid(payout, operator, "BANK-42")
    session.commit()
    campaign = db.session.get(Campaign, campaign_id)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    section = page[page.index('id="outcome-title"'):page.index("</section>",
                                                             page.index('id="outcome-title"'))]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "Pledged at the deadline $170.00 by 3 backers" in text
    assert "Collected $150.00" in text
    assert "Dropped $20.00 (1 pledge never paid)" in text
    assert "Refunded $30.00 (1 pledge)" in text
    paid = f"{payout.amount_minor / 100:,.2f}"
    assert f"Paid out to the founder ${paid}" in text and 0 < payout.amount_minor < 12_000


def test_spending_delivery_receipts_and_the_late_flag(app, client, auth, session):
    campaign = make_campaign(status=S.FUNDED, tiers=0)
    campaign.pledged_at_deadline_minor, campaign.backers_at_deadline = 5000, 1
    today = utcnow().date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    late_tier = make_tier(campaign, minimum_minor=1000)
    late_tier.estimated_delivery = last_month
    on_time = make_tier(campaign, minimum_minor=2000)
    on_time.estimated_delivery = date(today.year + 1, 1, 1)
    pledge = make_pledge(campaign, tier=late_tier, status=P.COLLECTED)
    line = campaign.budget_lines[0]
    session.commit()
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert page.count("tag-late") == 2  # the delivery table and the reward card
    assert [(c.id, d.tier.id) for c, d in late_deliveries()] == [(campaign.id, late_tier.id)]
    profile = client.get(f"/founders/{campaign.founder_id}").get_data(as_text=True)
    assert "Delivery record: 0 of 2 rewards delivered" in profile and "1 late" in profile
    operator = make_user(operator=True)
    session.commit()
    auth.login_as(operator)
    console = client.get("/operators/community").get_data(as_text=True)
    assert late_tier.title in console and "Late reward deliveries (1)" in console
    auth.logout()

    auth.login_as(campaign.founder)
    url = f"/studio/{campaign.id}/delivery"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"tier_id": late_tier.id, "status": "delayed",
                                      "note": "Supplier problem"})
    assert response.status_code == 400 and "new month" in response.get_data(as_text=True)
    response = client.post(url, data={"tier_id": late_tier.id, "status": "in_production",
                                      "note": "Moulds done"})
    assert response.status_code == 302
    assert len(late_deliveries()) == 1  # progress, but no new date: still late
    next_month = (today.replace(day=28) + timedelta(days=5)).replace(day=1)
    client.post(url, data={"tier_id": late_tier.id, "status": "delayed",
                           "expected_on": next_month.strftime("%Y-%m"),
                           "note": "Supplier problem"})
    assert late_deliveries() == []
    assert session.scalar(sa.select(sa.func.count()).select_from(DeliveryReport)) == 2

    spend = f"/studio/{campaign.id}/spending"
    response = client.post(spend, data={"budget_line_id": str(line.id), "amount": "120.50",
                                        "spent_on": (today + timedelta(days=3)).isoformat(),
                                        "note": "Moulds"})
    assert response.status_code == 400 and "already spent" in response.get_data(as_text=True)
    client.post(spend, data={"budget_line_id": str(line.id), "amount": "120.50",
                             "spent_on": today.isoformat(), "note": "Moulds"})
    client.post(spend, data={"budget_line_id": "", "amount": "10",
                             "spent_on": today.isoformat(), "note": "Courier"})
    assert session.scalar(sa.select(sa.func.count()).select_from(SpendingReport)) == 2
    auth.logout()

    auth.login_as(pledge.backer)
    assert client.post(f"/pledges/{pledge.id}/received").status_code == 302
    assert pledge_of(pledge.id).received_at is not None
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "tag-late" not in page and "Delayed" in page and "Supplier problem" in page
    assert "1 of 1" in page  # received
    profile = client.get(f"/founders/{campaign.founder_id}").get_data(as_text=True)
    assert "Delivery record: 0 of 2 rewards delivered" in profile and "late" not in profile
    assert "$120.50" in page and "Not in the budget" in page and "$130.50" in page
