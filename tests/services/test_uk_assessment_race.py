"""The UK's assessment and cooling-off at the same instant on PostgreSQL (``postgres_only``;
SQLite serialises writers and cannot show it). Two wrong attempts at the assessment at
once are graded one after the other: the second sees the first's failure and waits its 24
hours (one failure counted), every round. The category and the assessment completed at
once still start the cooling-off: each locks the investor's row first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.equity import investors, protections
from crowdfund.extensions import db
from tests.factories import ASSESSMENT_ANSWERS, QUIZ_ANSWERS, make_user, race

pytestmark = pytest.mark.postgres_only

ROUNDS = 4
WRONG = {**ASSESSMENT_ANSWERS, "protection": "compensation"}


def _briton() -> int:
    person = make_user()
    investors.save_profile(person, investors.ProfileInput(
        "GB", Decimal(90_000), Decimal(45_000), False, Decimal(0)))
    investors.acknowledge(person, QUIZ_ANSWERS, True)
    return person.id


def _attempt(person_id: int, answers: dict[str, str]):
    def action():
        try:
            protections.assess(db.session.get(User, person_id), answers)
        except protections.AssessmentFailed:
            db.session.commit()  # as the page does: the failed attempt stays recorded
            raise
    return action


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_wrong_attempts_at_once_count_one_failure(app, session, round_):
    person_id = _briton()
    protections.categorise(db.session.get(User, person_id), "restricted", True)
    session.commit()
    outcomes = race(app, _attempt(person_id, WRONG), _attempt(person_id, WRONG))
    assert sorted(outcomes) == ["AssessmentFailed", "AssessmentTooSoon"]
    db.session.expire_all()
    assert investors.profile_of(db.session.get(User, person_id)).assessment_failures == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_last_two_steps_at_once_start_the_cooling_off(app, session, round_):
    person_id = _briton()
    session.commit()

    def categorise():
        protections.categorise(db.session.get(User, person_id), "restricted", True)

    outcomes = race(app, categorise, _attempt(person_id, ASSESSMENT_ANSWERS))
    assert outcomes == ["ok", "ok"]
    db.session.expire_all()
    profile = investors.profile_of(db.session.get(User, person_id))
    assert profile.cooling_off_from is not None
    assert profile.cooling_off_from > utcnow() - timedelta(minutes=1)
