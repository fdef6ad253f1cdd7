"""Shipping addresses are kept only as long as delivery needs them (``fulfilment.erasing``):
erased FULFILMENT_ADDRESS_RETENTION after the founder reports the reward delivered (at the
latest FULFILMENT_ADDRESS_MAX_RETENTION after the deadline, at once after a full refund),
by a job that works in committed batches: killed midway (in this process, or SIGKILLed as
a process of its own), it is run again and finishes."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund import events
from crowdfund.community.delivery import report_delivery
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fulfilment import erasing, questions
from crowdfund.fulfilment.models import Survey, SurveyAnswer
from crowdfund.fulfilment.reminders import invite_and_remind
from crowdfund.fulfilment.surveys import answer_survey, survey_of, view_of
from crowdfund.money import Money
from crowdfund.pledges.models import PledgeStatus
from tests.factories import funded_reward, make_user, surveyed_pledge
from tests.sandbox import ROOT

ADDRESS = {"recipient_name": "Grace Hopper", "address_line1": "1 Market Street",
           "city": "San Francisco", "region": "CA", "postal_code": "94105"}
DAY = timedelta(days=1)


class Killed(BaseException):
    """The process dies (like KeyboardInterrupt: nothing catches it on the way out)."""


def _answered(campaign, n: int = 1, question=None) -> list[int]:
    """``n`` backers who sent their address (and answered ``question``); survey ids."""
    ids = []
    for _ in range(n):
        pledge = surveyed_pledge(campaign)
        answer_survey(survey_of(pledge), pledge.backer, ADDRESS,
                      {question.id: "M"} if question else {})
        ids.append(survey_of(pledge).id)
    db.session.commit()
    return ids


def _erased(ids) -> list[bool]:
    db.session.expire_all()
    return [db.session.get(Survey, i).erased_at is not None for i in ids]


def test_erased_the_retention_after_delivery_not_before(app, session):
    campaign = funded_reward()
    tier = campaign.tiers[0]
    size = questions.add_question(campaign, campaign.founder, tier.id, "size", "Size?", "",
                                  True)
    [survey_id] = _answered(campaign, question=size)
    report_delivery(campaign, campaign.founder, tier.id, "delivered", None, "")
    session.commit()
    db.session.expire_all()
    survey = db.session.get(Survey, survey_id)
    due = survey.erase_after
    retention = app.config["FULFILMENT_ADDRESS_RETENTION"]
    assert abs(due - (utcnow() + retention)) < timedelta(minutes=1)
    assert view_of(survey).delivered_at is not None
    assert erasing.erase_due(now=due - timedelta(seconds=1)) == 0
    assert _erased([survey_id]) == [False]
    assert erasing.erase_due(now=due) == 1
    db.session.expire_all()
    survey = db.session.get(Survey, survey_id)
    assert survey.erased_at == due
    assert [getattr(survey, f) for f in ("recipient_name", "address_line1", "address_line2",
                                         "city", "region", "postal_code", "phone")] == \
        [None] * 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 0
    assert survey.pledge_id and survey.answered_at  # the row stays, saying what happened
    assert erasing.erase_due(now=due + DAY) == 0  # once


def test_never_kept_past_the_maximum_after_the_deadline(app, session):
    campaign = funded_reward()
    [survey_id] = _answered(campaign)
    latest = campaign.deadline + app.config["FULFILMENT_ADDRESS_MAX_RETENTION"]
    assert erasing.erase_due(now=latest - DAY) == 0
    assert erasing.erase_due(now=latest + timedelta(seconds=1)) == 1
    assert _erased([survey_id]) == [True]
    # Erased: never reminded again, and the backer can no longer change it.
    assert invite_and_remind(latest + 30 * DAY) == 0
    assert not view_of(db.session.get(Survey, survey_id)).may_answer


def test_a_full_refund_erases_at_the_next_run_a_partial_one_does_not(app, session):
    campaign = funded_reward()
    refunded_id, partly_id = _answered(campaign, 2)
    refunded, partly = (db.session.get(Survey, i).pledge for i in (refunded_id, partly_id))
    refunded.status, refunded.refunded_minor = PledgeStatus.REFUNDED, refunded.amount_minor
    partly.refunded_minor = 1000
    for pledge in (refunded, partly):
        events.refund_issued.send(pledge, refund_id=f"re_{pledge.id}",
                                  amount=Money(pledge.refunded_minor, "USD"), reason="")
    session.commit()
    assert erasing.erase_due() == 1
    assert _erased([refunded_id, partly_id]) == [True, False]


def test_a_run_that_dies_midway_is_finished_by_the_next(app, session, monkeypatch):
    campaign = funded_reward()
    ids = _answered(campaign, 7)
    for survey_id in ids:
        db.session.get(Survey, survey_id).erase_after = utcnow() - DAY
    session.commit()
    real, batches = erasing.erase_batch, []

    def dies_in_the_third(ids_, now):
        batches.append(ids_)
        erased = real(ids_, now)
        if len(batches) == 3:
            raise Killed("killed in the third batch")  # after erasing, before its commit
        return erased

    monkeypatch.setattr(erasing, "erase_batch", dies_in_the_third)
    with pytest.raises(Killed, match="killed in the third batch"):
        erasing.erase_due(batch=2)
    session.rollback()
    assert _erased(ids) == [True] * 4 + [False] * 3  # two whole batches, the third undone
    monkeypatch.setattr(erasing, "erase_batch", real)
    assert erasing.erase_due(batch=2) == 3
    assert _erased(ids) == [True] * 7


#: ``flask fulfilment erase`` that SIGKILLs itself in the middle of its third batch (after
#: the UPDATE, before the COMMIT): a crash no ``finally`` sees.
KILLED_IN_THE_THIRD_BATCH = """
import os, signal, sys
from crowdfund.fulfilment import erasing
real, seen = erasing.erase_batch, []
def erase_batch(ids, now):
    seen.append(ids)
    erased = real(ids, now)
    if len(seen) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return erased
erasing.erase_batch = erase_batch
from flask.cli import main
sys.argv = ["flask", "fulfilment", "erase", "--batch", "5"]
main()
"""


def _flask(app, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    """``flask *args`` (or Python ``code``) as a process of its own on the test's database;
    the test's own transaction ends first (on SQLite it would hold the write lock)."""
    db.session.commit()
    env = {**os.environ, "CROWDFUND_ENV": "testing", "FLASK_APP": "wsgi",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "flask", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=120)


def test_the_erase_command_killed_midway_finishes_when_run_again(app, session):
    campaign = funded_reward()
    ids = _answered(campaign, 23)
    for survey_id in ids:
        db.session.get(Survey, survey_id).erase_after = utcnow() - DAY
    kept = _answered(funded_reward(), 2)  # not due: stays
    session.commit()
    killed = _flask(app, code=KILLED_IN_THE_THIRD_BATCH)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert _erased(ids) == [True] * 10 + [False] * 13
    again = _flask(app, "fulfilment", "erase", "--batch", "5")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "surveys erased: 13" in again.stdout
    assert _erased(ids) == [True] * 23 and _erased(kept) == [False, False]


def test_a_person_is_erased_by_their_id_whatever_their_email(app, session):
    campaign = funded_reward()
    backer = make_user(email="shared@example.com")
    pledge = surveyed_pledge(campaign, backer)
    answer_survey(survey_of(pledge), backer, ADDRESS, {})
    other = surveyed_pledge(campaign)
    answer_survey(survey_of(other), other.backer, ADDRESS, {})
    session.commit()
    other.backer.email = "shared@example.org"
    erasing.erase_person(backer)
    session.commit()
    assert _erased([survey_of(pledge).id, survey_of(other).id]) == [True, False]
