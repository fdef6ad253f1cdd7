"""The pledge manager's read-check-write rules at the same instant on PostgreSQL
(``postgres_only``; SQLite serialises writers and cannot show it). Each change of a tier's
surveys locks the tier's fulfilment row first:

- a backer's correction and the founder's "shipping" (with the export that follows it in
  the same transaction): either the correction is refused, or the founder's export already
  has it: what the founder reads once it ships is final;
- a backer's answers and a new required question: the survey is never left answered
  without it;
- two reminder passes at once queue each email once.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.community.delivery import report_delivery
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fulfilment import export, questions
from crowdfund.fulfilment.models import Survey
from crowdfund.fulfilment.reminders import invite_and_remind
from crowdfund.fulfilment.surveys import answer_survey, view_of
from crowdfund.notifications.models import OutboxMessage
from tests.factories import funded_reward, race, surveyed_pledge

pytestmark = pytest.mark.postgres_only

ROUNDS = 6
ADDRESS = {"recipient_name": "Grace Hopper", "address_line1": "1 Market Street",
           "city": "San Francisco", "region": "CA", "postal_code": "94105"}


def _scene(answered: bool = True) -> tuple[int, int]:
    campaign = funded_reward()
    pledge = surveyed_pledge(campaign)
    if answered:
        answer_survey(db.session.scalar(sa.select(Survey)), pledge.backer, ADDRESS, {})
    db.session.commit()
    return campaign.id, db.session.scalar(sa.select(Survey.id))


def _correct(survey_id: int, city: str, answers=None):
    def action():
        survey = db.session.get(Survey, survey_id)
        answer_survey(survey, survey.backer, {**ADDRESS, "city": city}, answers or {})
    return action


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_correction_and_shipping_at_once_leave_the_export_final(app, session, round_):
    campaign_id, survey_id = _scene()
    exported: list[list] = []

    def ship_and_export():
        campaign = db.session.get(Campaign, campaign_id)
        report_delivery(campaign, campaign.founder, campaign.tiers[0].id, "shipping", None, "")
        exported.extend(export.rows(campaign, []))

    outcomes = race(app, _correct(survey_id, "Oakland"), ship_and_export)
    db.session.expire_all()
    final = db.session.get(Survey, survey_id).city
    assert outcomes[1] == "ok"
    assert outcomes[0] in ("ok", "DomainError")
    assert final == ("Oakland" if outcomes[0] == "ok" else "San Francisco")
    assert exported[0][5] == final  # the city the founder read when it shipped


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_answers_and_a_new_required_question_at_once(app, session, round_):
    campaign_id, survey_id = _scene(answered=False)

    def ask():
        campaign = db.session.get(Campaign, campaign_id)
        questions.add_question(campaign, campaign.founder, campaign.tiers[0].id, "text",
                               "Name to engrave?", "", True)

    outcomes = race(app, _correct(survey_id, "Oakland"), ask)
    db.session.expire_all()
    survey = db.session.get(Survey, survey_id)
    view = view_of(survey)
    assert outcomes[1] == "ok"
    if outcomes[0] == "ok" and survey.answered_at is not None:
        assert set(view.answers) == {q.id for q in view.questions}  # asked before answering
    else:
        assert survey.answered_at is None  # answered first, then asked again


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_reminder_passes_at_once_queue_each_email_once(app, session, round_):
    campaign = funded_reward()
    for _ in range(5):
        surveyed_pledge(campaign)
    session.commit()
    now = utcnow()
    assert race(app, lambda: invite_and_remind(now), lambda: invite_and_remind(now)) == \
        ["ok", "ok"]
    db.session.expire_all()
    keys = db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.kind == "survey_invitation")).all()
    assert len(keys) == len(set(keys)) == 5
    assert set(db.session.scalars(sa.select(Survey.invited_at))) != {None}
