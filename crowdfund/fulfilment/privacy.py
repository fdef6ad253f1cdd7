"""A backer's surveys in their data archive (address and answers, while kept), and on
closing the account: every survey erased at once, selected by the person's id."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.extensions import db
from crowdfund.fulfilment.addresses import FIELDS
from crowdfund.fulfilment.erasing import erase_person
from crowdfund.fulfilment.models import Survey, SurveyAnswer, SurveyQuestion


def register() -> None:
    privacy.exports("surveys")(export)
    privacy.erases("surveys")(erase_person)


def export(user: User) -> list[dict]:
    surveys = list(db.session.scalars(sa.select(Survey).where(Survey.backer_id == user.id)
                                      .order_by(Survey.id)))
    answers: dict[int, list[dict]] = {}
    if surveys:
        for survey_id, prompt, value in db.session.execute(
                sa.select(SurveyAnswer.survey_id, SurveyQuestion.prompt, SurveyAnswer.value)
                .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
                .where(SurveyAnswer.survey_id.in_([s.id for s in surveys]))
                .order_by(SurveyAnswer.id)):
            answers.setdefault(survey_id, []).append({"question": prompt, "answer": value})
    return [{"pledge_id": s.pledge_id, "campaign": s.pledge.campaign.title,
             "reward": s.tier.title, "country": s.country,
             **{name: getattr(s, name) for name in FIELDS},
             **{c: privacy.plain(getattr(s, c)) for c in (
                 "answered_at", "erase_after", "erased_at")},
             "answers": answers.get(s.id, [])} for s in surveys]
