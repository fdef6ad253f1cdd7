"""What the founder (and operators) read of a campaign's surveys: progress per reward
tier, and the fulfilment CSV (a row per backer to deliver to: name, address, country,
reward, quantity, add-ons, answers), read in keyset batches; every cell someone typed goes
through ``web.csv_cell`` (formula-safe, like the backers CSV)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.extensions import db
from crowdfund.fulfilment import tiers
from crowdfund.fulfilment.models import Survey, SurveyAnswer, SurveyQuestion
from crowdfund.fulfilment.questions import questions_of
from crowdfund.fulfilment.surveys import DELIVERABLE
from crowdfund.pledges.models import Pledge, PledgeAddOn
from crowdfund.web import csv_cell

#: Units of the reward per pledge: one (a pledge is for one reward; its add-ons have their
#: own column).
QUANTITY = 1


@dataclass
class TierProgress:
    tier: RewardTier
    questions: list[SurveyQuestion]
    surveys: int = 0
    answered: int = 0
    erased: int = 0
    locked_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def waiting(self) -> int:
        return self.surveys - self.answered - self.erased


def _deliverable() -> sa.ColumnElement[bool]:
    return Survey.pledge_id.in_(sa.select(Pledge.id).where(Pledge.status.in_(DELIVERABLE)))


def progress_of(campaign: Campaign) -> list[TierProgress]:
    """Per tier: backers to deliver to, how many answered, how many are erased."""
    ids = [t.id for t in campaign.tiers]
    questions = questions_of(ids)
    states = tiers.states_of(ids)
    counts = {tier_id: (int(n), int(answered or 0), int(erased or 0))
              for tier_id, n, answered, erased in db.session.execute(
        sa.select(Survey.tier_id, sa.func.count(),
                  sa.func.sum(sa.case((sa.and_(Survey.answered_at.is_not(None),
                                               Survey.erased_at.is_(None)), 1), else_=0)),
                  sa.func.count(Survey.erased_at))
        .where(Survey.campaign_id == campaign.id, _deliverable()).group_by(Survey.tier_id))}
    progress = []
    for tier in campaign.tiers:
        state = states.get(tier.id)
        progress.append(TierProgress(
            tier, questions[tier.id], *counts.get(tier.id, (0, 0, 0)),
            locked_at=state.locked_at if state else None,
            delivered_at=state.delivered_at if state else None))
    return progress


def _status(survey: Survey) -> str:
    if survey.erased_at is not None:
        return "erased"
    return "answered" if survey.answered_at is not None else "not answered"


def header(questions: list[SurveyQuestion]) -> list[str]:
    return ["pledge_id", "backer", "recipient", "address_line1", "address_line2", "city",
            "region", "postal_code", "country", "phone", "reward", "quantity", "add_ons",
            "survey", "answered_at",
            *(csv_cell(f"{q.tier.title}: {q.prompt}") for q in questions)]


def all_questions(campaign: Campaign, tier_id: int | None = None) -> list[SurveyQuestion]:
    by_tier = questions_of([t.id for t in campaign.tiers if tier_id in (None, t.id)])
    return [q for tier in campaign.tiers for q in by_tier.get(tier.id, [])]


def _answers(ids: list[int]) -> dict[int, dict[int, str]]:
    found: dict[int, dict[int, str]] = {}
    for survey_id, question_id, value in db.session.execute(
            sa.select(SurveyAnswer.survey_id, SurveyAnswer.question_id, SurveyAnswer.value)
            .where(SurveyAnswer.survey_id.in_(ids))):
        found.setdefault(survey_id, {})[question_id] = value
    return found


def _add_ons(pledge_ids: list[int]) -> dict[int, str]:
    """Each pledge's add-ons as the founder packs them: "2 x Extra lens; 1 x Strap"."""
    found: dict[int, list[str]] = {}
    for line in db.session.scalars(sa.select(PledgeAddOn).where(
            PledgeAddOn.pledge_id.in_(pledge_ids)).order_by(PledgeAddOn.id)):
        found.setdefault(line.pledge_id, []).append(f"{line.quantity} x {line.add_on.name}")
    return {pledge_id: "; ".join(lines) for pledge_id, lines in found.items()}


def rows(campaign: Campaign, questions: list[SurveyQuestion], tier_id: int | None = None,
         batch: int = 1000) -> Iterator[list]:
    """The CSV's rows: every survey of a pledge to deliver, by pledge id, ``batch`` at a
    time (constant memory for any number of backers)."""
    after = 0
    while True:
        stmt = (sa.select(Survey).where(Survey.campaign_id == campaign.id, _deliverable(),
                                        Survey.pledge_id > after)
                .options(joinedload(Survey.backer), joinedload(Survey.tier))
                .order_by(Survey.pledge_id).limit(batch))
        if tier_id is not None:
            stmt = stmt.where(Survey.tier_id == tier_id)
        surveys = db.session.scalars(stmt).all()
        answers = _answers([s.id for s in surveys])
        add_ons = _add_ons([s.pledge_id for s in surveys])
        for survey in surveys:
            given = answers.get(survey.id, {})
            yield [survey.pledge_id, csv_cell(survey.backer.display_name),
                   *(csv_cell(getattr(survey, name)) for name in (
                       "recipient_name", "address_line1", "address_line2", "city", "region",
                       "postal_code")),
                   survey.country or "", csv_cell(survey.phone), csv_cell(survey.tier.title),
                   QUANTITY, csv_cell(add_ons.get(survey.pledge_id, "")), _status(survey),
                   survey.answered_at.isoformat() if survey.answered_at else "",
                   *(csv_cell(given.get(q.id)) for q in questions)]
        if len(surveys) < batch:
            return
        after = surveys[-1].pledge_id
