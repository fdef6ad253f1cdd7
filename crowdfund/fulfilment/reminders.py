"""The jobs pass's part of the pledge manager: invite each backer whose survey is ready,
and remind those who have not answered, every FULFILMENT_REMINDER_EVERY, at most
FULFILMENT_REMINDERS times. Services never commit.

Each email is claimed with a conditional UPDATE of its survey (two passes at once: one
sends it) and queued under a key of its survey, round and number: never twice. A survey is
neither invited nor reminded once its tier ships, its pledge is refunded, or it is erased.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fulfilment import tiers
from crowdfund.fulfilment.models import Survey, SurveyQuestion
from crowdfund.fulfilment.surveys import DELIVERABLE
from crowdfund.notifications import fulfilment_emails
from crowdfund.pledges.models import Pledge
from crowdfund.supervision import each_isolated


def _has_questions() -> sa.ColumnElement[bool]:
    return sa.exists().where(SurveyQuestion.tier_id == Survey.tier_id)


def _waiting() -> list[sa.ColumnElement[bool]]:
    """Surveys that ask something, not answered, of a pledge to deliver, not shipping."""
    return [Survey.answered_at.is_(None), Survey.erased_at.is_(None),
            sa.or_(Survey.needs_address, _has_questions()), tiers.not_locked(Survey.tier_id),
            Survey.pledge_id.in_(sa.select(Pledge.id).where(Pledge.status.in_(DELIVERABLE)))]


def _surveys(*conditions) -> list[tuple[Survey, bool]]:
    """(survey, whether its tier has questions), with pledge, backer and campaign loaded."""
    return list(db.session.execute(
        sa.select(Survey, _has_questions()).where(*_waiting(), *conditions)
        .options(joinedload(Survey.pledge).joinedload(Pledge.backer),
                 joinedload(Survey.pledge).joinedload(Pledge.campaign))
        .order_by(Survey.id)).all())


def _claim(survey: Survey, now: datetime, **was) -> bool:
    """This pass sends the survey's next email: its row still says what we read."""
    values = {"last_reminded_at": now}
    if "reminders_sent" in was:
        values["reminders_sent"] = was["reminders_sent"] + 1
    else:
        values["invited_at"] = now
    return db.session.execute(sa.update(Survey).where(
        Survey.id == survey.id, Survey.round == survey.round,
        *(getattr(Survey, name) == value if value is not None else
          getattr(Survey, name).is_(None) for name, value in was.items()))
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1


def invite(now: datetime | None = None) -> int:
    """Invite every backer whose survey is ready and was not sent (in this round)."""
    now = now or utcnow()

    def one(row: tuple[Survey, bool]) -> bool:
        survey, questions = row
        return _claim(survey, now, invited_at=None) and fulfilment_emails.survey_invitation(
            survey.pledge, survey, questions)

    return each_isolated("survey invitation", _surveys(Survey.invited_at.is_(None)), one,
                         key=lambda row: row[0].id)


def remind(now: datetime | None = None) -> int:
    """Remind every backer whose survey waits past FULFILMENT_REMINDER_EVERY since the
    last email, until FULFILMENT_REMINDERS were sent."""
    now = now or utcnow()
    config = current_app.config
    most = config["FULFILMENT_REMINDERS"]

    def one(row: tuple[Survey, bool]) -> bool:
        survey, questions = row
        sent = survey.reminders_sent
        return _claim(survey, now, reminders_sent=sent) and fulfilment_emails.survey_reminder(
            survey.pledge, survey, questions, sent + 1, sent + 1 >= most)

    due = _surveys(Survey.invited_at.is_not(None), Survey.reminders_sent < most,
                   Survey.last_reminded_at <= now - config["FULFILMENT_REMINDER_EVERY"])
    return each_isolated("survey reminder", due, one, key=lambda row: row[0].id)


def invite_and_remind(now: datetime | None = None) -> int:
    """The jobs pass: invitations, then reminders; how many emails were queued."""
    now = now or utcnow()
    return invite(now) + remind(now)
