"""Pledges are counted per UTC day by the database (GROUP BY day), whatever the database
session's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import charts
from tests.factories import make_campaign, make_pledge


def test_days_are_utc_days_in_any_session_time_zone(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    campaign.launched_at = late - timedelta(days=2)
    for stamp, amount in ((late, 1_000), (late + timedelta(hours=1), 2_000),
                          (late + timedelta(hours=1, minutes=5), 500)):
        make_pledge(campaign, amount_minor=amount).created_at = stamp
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))
    chart = charts.funding_chart(campaign)
    by_day = {d.day: d.value for d in chart.days if d.value}
    assert by_day == {late.date(): 1_000, (late + timedelta(hours=1)).date(): 2_500}
    counts = {d.day: d.value for d in charts.pledges_per_day(campaign).days if d.value}
    assert counts == {late.date(): 1, (late + timedelta(hours=1)).date(): 2}
