"""Founder's tabs adding FAQ questions at once never pass the FAQ's limit: the count is
read under the campaign's row lock (PostgreSQL: ``postgres_only``, transactions side by
side; SQLite: the same shape, writers take turns)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns import faq
from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from tests.factories import make_campaign, race

TABS = 10
LEFT = 3


def _rush(app, session) -> tuple[list[str], int]:
    campaign = make_campaign(status=CampaignStatus.LIVE)
    for n in range(faq.MAX_ENTRIES - LEFT):
        faq.add_entry(campaign, campaign.founder, f"Question {n}?", "Answer.")
    session.commit()
    campaign_id, founder_id = campaign.id, campaign.founder_id

    def add(n: int):
        def action() -> None:
            faq.add_entry(db.session.get(Campaign, campaign_id),
                          db.session.get(User, founder_id), f"Tab {n}?", "Answer.")
        return action

    return race(app, *(add(n) for n in range(TABS))), campaign_id


def _check(outcomes: list[str], campaign_id: int) -> None:
    assert outcomes.count("ok") == LEFT, outcomes
    assert outcomes.count("DomainError") == TABS - LEFT, outcomes
    positions = db.session.scalars(sa.select(FaqEntry.position).where(
        FaqEntry.campaign_id == campaign_id)).all()
    assert len(positions) == faq.MAX_ENTRIES and len(set(positions)) == faq.MAX_ENTRIES


@pytest.mark.postgres_only
def test_tabs_adding_questions_at_once_stop_at_the_limit_on_postgresql(app, session):
    _check(*_rush(app, session))


@pytest.mark.sqlite_only
def test_tabs_adding_questions_at_once_stop_at_the_limit_on_sqlite(app, session):
    _check(*_rush(app, session))
