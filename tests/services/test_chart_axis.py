"""The funding chart's y axis keeps its labels whole on a phone: the axis moves right of
its widest value ("$10,000", "CHF200,000,000"), and the bars start at the axis (issue 24,
item 12)."""

from __future__ import annotations

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import charts
from tests.factories import make_campaign, make_pledge


@pytest.mark.parametrize(("goal_minor", "currency", "widest"), [
    (1_800_000, "USD", "$10,000"), (250_000_000_00, "CHF", "CHF200,000,000"),
    (5_000, "USD", "$40")])
def test_the_axis_is_right_of_its_widest_label(app, session, goal_minor, currency, widest):
    campaign = make_campaign(status=CampaignStatus.LIVE, goal_minor=goal_minor,
                             currency=currency, tiers=0)
    make_pledge(campaign, amount_minor=goal_minor // 7)
    session.flush()
    chart = charts.funding_chart(campaign)
    labels = [chart.fmt(v).format("en", whole=True)
              for v, _y in chart.ticks]
    assert widest in labels
    # 11-unit text: a digit is at most 7 units wide (0.64 em), a separator half that.
    width = max(7 * len(t) - 3.5 * (t.count(",") + t.count(".")) for t in labels)
    assert chart.left - 4 - width >= 1  # the label's first character is inside the chart
    assert chart.days[0].x == chart.left and chart.left >= charts.LEFT
