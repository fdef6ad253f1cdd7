"""Each backer's survey: opened when a reward pledge is collected, answered (and corrected)
by the backer until the tier ships, read by the pages. Services never commit.

A survey asks for a shipping address when the reward ships (in the pledge's destination,
checked by ``addresses``) and for the answers to the tier's questions. The backer sends it
whole; sending it again corrects it, until the founder reports the tier shipping (the
tier's row lock makes a correction and the lock take turns: what the founder exports
after marking it shipping is final).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignKind
from crowdfund.db import dialect_insert, utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.fulfilment import addresses, tiers
from crowdfund.fulfilment.models import FulfilmentTier, Survey, SurveyAnswer, SurveyQuestion
from crowdfund.fulfilment.questions import check_answers, questions_of
from crowdfund.i18n import _
from crowdfund.pledges.models import Pledge, PledgeStatus

#: Pledges whose reward is to be delivered: paid, and not refunded in full.
DELIVERABLE = (PledgeStatus.COLLECTED, PledgeStatus.DISPUTED)


class SurveyRefused(DomainError):
    """Some fields of a survey are not right: ``errors`` by field (``q_<id>`` for an
    answer), the first one as the message."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


def open_survey(pledge: Pledge, now: datetime | None = None) -> None:
    """A collected reward pledge gets its survey (once, however often this is called).
    Its address is erased FULFILMENT_ADDRESS_MAX_RETENTION after the deadline at the latest
    (sooner once the tier is delivered). Settlement collects pledges by the hundred in one
    transaction: what it needs of their tier is read once per tier and transaction, and
    the survey is written on the transaction's connection (no flush of the session)."""
    campaign = pledge.campaign
    if campaign.kind is not CampaignKind.REWARD or pledge.tier is None:
        return
    now = now or utcnow()
    tier = pledge.tier
    delivered = _delivered_at(tier)
    config = current_app.config
    erase_after = (campaign.deadline or now) + config["FULFILMENT_ADDRESS_MAX_RETENTION"]
    if delivered is not None:
        erase_after = min(erase_after, delivered + config["FULFILMENT_ADDRESS_RETENTION"])
    ships = bool(tier.ships and pledge.destination)
    db.session.connection().execute(dialect_insert(db.session, Survey).values(
        pledge_id=pledge.id, campaign_id=campaign.id, tier_id=tier.id,
        backer_id=pledge.backer_id, needs_address=ships,
        country=pledge.destination if ships else None, erase_after=erase_after,
        created_at=now, updated_at=now).on_conflict_do_nothing(index_elements=["pledge_id"]))


_TIERS = "surveys: tiers read in this transaction"


def _delivered_at(tier) -> datetime | None:
    """The tier's row made (``tiers.ensure_row``) and when it was delivered: once per
    tier in a transaction (forgotten when it ends: ``_forget``)."""
    known = db.session.info.setdefault(_TIERS, {})
    if tier.id not in known:
        tiers.ensure_row(tier)
        known[tier.id] = db.session.scalar(sa.select(FulfilmentTier.delivered_at).where(
            FulfilmentTier.tier_id == tier.id))
    return known[tier.id]


def _forget(session, transaction) -> None:
    if transaction._parent is None:
        session.info.pop(_TIERS, None)


sa.event.listen(sa.orm.Session, "after_transaction_end", _forget)


def survey_of(pledge: Pledge) -> Survey | None:
    return db.session.scalar(sa.select(Survey).where(Survey.pledge_id == pledge.id))


@dataclass
class SurveyView:
    """A survey as its pages show it: the questions, the answers, where its tier stands."""

    survey: Survey
    questions: list[SurveyQuestion]
    answers: dict[int, str]
    locked_at: datetime | None
    delivered_at: datetime | None

    @property
    def needed(self) -> bool:
        """There is something to ask: an address, or a question."""
        return self.survey.needs_address or bool(self.questions)

    @property
    def answered(self) -> bool:
        return self.survey.answered_at is not None

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    @property
    def erased(self) -> bool:
        return self.survey.is_erased

    @property
    def may_answer(self) -> bool:
        return (self.needed and not self.locked and not self.erased
                and self.survey.pledge.status in DELIVERABLE)

    @property
    def answer_rows(self) -> list[tuple[SurveyQuestion, str]]:
        return [(q, self.answers[q.id]) for q in self.questions if q.id in self.answers]


def view_of(survey: Survey) -> SurveyView:
    state = db.session.get(FulfilmentTier, survey.tier_id)
    answers = dict(db.session.execute(sa.select(SurveyAnswer.question_id, SurveyAnswer.value)
                                      .where(SurveyAnswer.survey_id == survey.id)).all())
    return SurveyView(survey, questions_of([survey.tier_id])[survey.tier_id], answers,
                      state.locked_at if state else None,
                      state.delivered_at if state else None)


def answer_survey(survey: Survey, backer: User, address: dict[str, str | None],
                  answers: dict[int, str], now: datetime | None = None) -> Survey:
    """The backer sends their survey (or corrects it): the whole address and every
    required answer, checked; refused once the tier ships."""
    now = now or utcnow()
    if survey.backer_id != backer.id:
        raise NotAllowed(_("This is not your pledge."))
    if survey.pledge.status not in DELIVERABLE:
        raise DomainError(_("This pledge has no reward to deliver any more."))
    if survey.is_erased:
        raise DomainError(_("This survey was erased: it is no longer needed for delivery."))
    if tiers.locked_row(survey.tier).locked_at is not None:
        raise DomainError(tiers.LOCKED)
    db.session.refresh(survey)  # as the lock holder sees it
    questions = questions_of([survey.tier_id])[survey.tier_id]
    errors: dict[str, str] = {}
    checked = addresses.check(survey.country, address) if survey.needs_address else None
    if checked is not None:
        errors.update(checked.errors)
    values, answer_errors = check_answers(questions, answers)
    errors.update({f"q_{question_id}": error for question_id, error in answer_errors.items()})
    if errors:
        raise SurveyRefused(errors)
    if checked is not None:
        for name, value in checked.values.items():
            setattr(survey, name, value)
    db.session.execute(sa.delete(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id))
    db.session.add_all(SurveyAnswer(survey_id=survey.id, question_id=question_id, value=value)
                       for question_id, value in values.items())
    survey.answered_at = now
    return survey
