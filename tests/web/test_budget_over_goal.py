"""A budget line that takes the budget over the goal is saved (the founder may lower
another line next) but the studio says plainly that review refuses such a budget."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.campaigns.models import BudgetLine
from crowdfund.extensions import db

WARNING = "over the goal of $1,000.00: review will refuse it"


def _lines(app, campaign_id):
    with app.app_context():
        return db.session.scalars(sa.select(BudgetLine.amount_minor).where(
            BudgetLine.campaign_id == campaign_id).order_by(BudgetLine.id)).all()


def test_a_line_over_the_goal_is_saved_with_a_plain_warning(app, client, draft):
    first = client.post(f"/studio/{draft.id}/budget", data={"label": "Tooling", "amount": "600"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Budget line added." in first and WARNING not in first
    over = client.post(f"/studio/{draft.id}/budget", data={"label": "Parts", "amount": "550"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Budget line added." in over
    assert f"Budget now $150.00 {WARNING}" in over and "flash-warning" in over
    assert _lines(app, draft.id) == [60_000, 55_000]  # a warning, not a refusal
    line_id = db.session.scalar(sa.select(BudgetLine.id).where(
        BudgetLine.campaign_id == draft.id, BudgetLine.amount_minor == 55_000))
    edited = client.post(f"/studio/{draft.id}/budget/{line_id}",
                         data={"label": "Parts", "amount": "620"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Budget line saved." in edited and f"Budget now $220.00 {WARNING}" in edited
    fixed = client.post(f"/studio/{draft.id}/budget/{line_id}",
                        data={"label": "Parts", "amount": "400"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Budget line saved." in fixed and WARNING not in fixed
