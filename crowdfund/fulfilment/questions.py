"""The founder's questions per reward tier (text, a choice, a size, a colour), asked in
each backer's survey, and the check of a backer's answers. Services never commit.

Questions may be added before or after funding, until the tier ships. A required question
added after some backers answered asks them again (their survey is reopened: a new round,
invited and reminded again); a question someone answered is never removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.fulfilment import tiers
from crowdfund.fulfilment.models import QuestionKind, Survey, SurveyAnswer, SurveyQuestion
from crowdfund.i18n import _, ngettext

MAX_QUESTIONS = 10
MAX_OPTIONS = 30
OPTION_LENGTH = 60
ANSWER_LENGTH = 500
#: A size question without options of its own offers these.
DEFAULT_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
#: Campaigns with nothing to deliver: no questions.
_NOTHING_TO_DELIVER = (CampaignStatus.FAILED, CampaignStatus.CANCELLED,
                       CampaignStatus.SUSPENDED, CampaignStatus.DELETED)


def questions_of(tier_ids: Iterable[int]) -> dict[int, list[SurveyQuestion]]:
    """Each tier's questions, in order."""
    ids = list(tier_ids)
    found: dict[int, list[SurveyQuestion]] = defaultdict(list)
    if ids:
        for question in db.session.scalars(
                sa.select(SurveyQuestion).where(SurveyQuestion.tier_id.in_(ids))
                .order_by(SurveyQuestion.tier_id, SurveyQuestion.position,
                          SurveyQuestion.id)):
            found[question.tier_id].append(question)
    return found


def answered_question_ids(question_ids: Iterable[int]) -> set[int]:
    ids = list(question_ids)
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(SurveyAnswer.question_id).where(
        SurveyAnswer.question_id.in_(ids)).distinct()))


def parse_options(kind: QuestionKind, text: str) -> list[str]:
    """The options typed one per line (or separated by commas), blanks and repeats
    dropped; a size question without any gets the usual sizes."""
    if kind is QuestionKind.TEXT:
        return []
    options: list[str] = []
    for part in re.split(r"[\n,，]", text or ""):
        option = " ".join(part.split())
        if option and option not in options:
            options.append(option)
    if not options and kind is QuestionKind.SIZE:
        return list(DEFAULT_SIZES)
    if len(options) < 2:
        raise DomainError(_("Give at least two options, one per line."), field="options")
    if len(options) > MAX_OPTIONS:
        raise DomainError(ngettext("At most %(num)s option.", "At most %(num)s options.",
                                   MAX_OPTIONS), field="options")
    if any(len(option) > OPTION_LENGTH for option in options):
        raise DomainError(ngettext("An option has at most %(num)s character.",
                                   "An option has at most %(num)s characters.",
                                   OPTION_LENGTH), field="options")
    return options


def _tier_for_questions(campaign: Campaign, founder: User, tier_id: int) -> RewardTier:
    require_founder(campaign, founder)
    if campaign.kind is not CampaignKind.REWARD or campaign.status in _NOTHING_TO_DELIVER:
        raise DomainError(_("This campaign has no rewards to deliver."))
    tier = next((t for t in campaign.tiers if t.id == tier_id), None)
    if tier is None:
        raise DomainError(_("Choose one of this campaign's rewards."), field="tier_id")
    if tiers.locked_row(tier).locked_at is not None:
        raise DomainError(tiers.LOCKED)
    return tier


def add_question(campaign: Campaign, founder: User, tier_id: int, kind: str, prompt: str,
                 options: str, required: bool) -> SurveyQuestion:
    """A new question for the tier's backers, last in its survey."""
    tier = _tier_for_questions(campaign, founder, tier_id)
    try:
        kind_ = QuestionKind(kind)
    except ValueError:
        raise DomainError(_("Choose a kind of question."), field="kind") from None
    prompt = " ".join((prompt or "").split())
    if not prompt or len(prompt) > 200:
        raise DomainError(_("Write the question (at most 200 characters)."), field="prompt")
    existing = questions_of([tier.id])[tier.id]
    if len(existing) >= MAX_QUESTIONS:
        raise DomainError(ngettext("A reward's survey has at most %(num)s question.",
                                   "A reward's survey has at most %(num)s questions.",
                                   MAX_QUESTIONS))
    question = SurveyQuestion(
        tier_id=tier.id, kind=kind_, prompt=prompt, options=parse_options(kind_, options),
        required=bool(required), author_id=founder.id,
        position=max((q.position for q in existing), default=-1) + 1)
    db.session.add(question)
    db.session.flush()
    if question.required:
        _ask_again(tier)
    return question


def _ask_again(tier: RewardTier) -> None:
    """Backers of the tier who answered already are asked the new question: their survey
    is reopened in a new round (invited again by the reminder pass)."""
    db.session.execute(sa.update(Survey).where(
        Survey.tier_id == tier.id, Survey.answered_at.is_not(None),
        Survey.erased_at.is_(None)).values(
        answered_at=None, invited_at=None, reminders_sent=0, last_reminded_at=None,
        round=Survey.round + 1).execution_options(synchronize_session=False))


def remove_question(campaign: Campaign, founder: User, tier_id: int,
                    question_id: int | None) -> None:
    tier = _tier_for_questions(campaign, founder, tier_id)
    question = db.session.get(SurveyQuestion, question_id) if question_id else None
    if question is None or question.tier_id != tier.id:
        raise DomainError(_("Choose one of this reward's questions."))
    if answered_question_ids([question.id]):
        raise DomainError(_("Backers answered this question already: it stays."))
    db.session.delete(question)


def check_answers(questions: list[SurveyQuestion],
                  given: dict[int, str]) -> tuple[dict[int, str], dict[int, str]]:
    """(answers to keep, errors) by question id: a required question needs an answer, a
    choice one of its options, a text at most ANSWER_LENGTH characters."""
    values: dict[int, str] = {}
    errors: dict[int, str] = {}
    for question in questions:
        value = " ".join((given.get(question.id) or "").split()) if question.has_options \
            else (given.get(question.id) or "").strip()
        if not value:
            if question.required:
                errors[question.id] = (_("Choose one.") if question.has_options
                                       else _("Answer this question."))
            continue
        if question.has_options and value not in question.options:
            errors[question.id] = _("Choose one of the options.")
        elif len(value) > ANSWER_LENGTH:
            errors[question.id] = ngettext("At most %(num)s character.",
                                           "At most %(num)s characters.", ANSWER_LENGTH)
        else:
            values[question.id] = value
    return values, errors
