"""The UK's protections before investing, as services (FCA COBS 4.12A and COBS 10, as
amended by PS22/10; the texts and questions are in ``highrisk.py``, the numbers in the rule
set): the investor's category and its statement, the appropriateness assessment, and the
24-hour cooling-off of a first-time investor.

:func:`check` raises the first protection not met; the offering page says it before any
amount (``standing.standing_of``) and ``investing.check_investor`` runs it again, under the
investor's row lock, when they commit. Services never commit. docs/investor-rules.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.db import utcnow
from crowdfund.equity import eu, highrisk, investors
from crowdfund.equity.models import InvestorCategory, InvestorProfile
from crowdfund.equity.rulesets import NotOpen, RuleSet, rules_for
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import date_filter, datetime_filter
from crowdfund.i18n import _, ngettext
from crowdfund.locking import lock
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge

CATEGORY_STEP = "equity.categorisation"
ASSESSMENT_STEP = "equity.assessment"


class Protection(DomainError):
    """A protection the investor's rules ask for is not met yet. ``next_step``: (label,
    endpoint) of the page where it is done; ``can_do_now``: False while they must wait,
    until ``wait_until``."""

    status_code = 403

    def __init__(self, message: str, *, next_step: tuple[str, str] | None = None,
                 can_do_now: bool = True, wait_until: datetime | None = None) -> None:
        super().__init__(message)
        self.next_step = next_step
        self.can_do_now = can_do_now
        self.wait_until = wait_until


class NeedsCategory(Protection):
    """No category of investor declared yet (UK)."""


class CategoryLapsed(Protection):
    """The statement that goes with the category is older than 12 months (UK)."""


class NeedsAssessment(Protection):
    """The appropriateness assessment is not passed yet (UK)."""


class CoolingOff(Protection):
    """A first-time investor within 24 hours of completing their categorisation and
    assessment (UK)."""


class CategoryNotMet(DomainError):
    """The category chosen asks for more than the investor's profile declares."""


class AssessmentFailed(DomainError):
    """Not every answer of the assessment is right. The failed attempt is written on the
    profile before this is raised: the caller commits it (it is a record, not bad input),
    and the next attempt waits until ``retry_at``."""

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class AssessmentTooSoon(DomainError):
    """Another attempt at the assessment before the wait after a failed one is over."""

    status_code = 429


def first_time(user: User) -> bool:
    """The person never invested through the platform: no commitment to an equity offering
    (in any status) was ever made."""
    return db.session.scalar(
        sa.select(Pledge.id).join(Campaign, Campaign.id == Pledge.campaign_id)
        .where(Pledge.backer_id == user.id, Campaign.kind == CampaignKind.EQUITY)
        .limit(1)) is None


def cooling_off_until(user: User, profile: InvestorProfile, rules: RuleSet) -> datetime | None:
    """Until when a first-time investor may not commit (None: no cooling-off for them)."""
    if not rules.cooling_off_hours or not first_time(user):
        return None
    start = profile.cooling_off_from
    if start is None and profile.category_stated_at and profile.assessment_passed_at:
        start = max(profile.category_stated_at, profile.assessment_passed_at)
    if start is None:
        return None
    return start + timedelta(hours=rules.cooling_off_hours)


def retry_at(profile: InvestorProfile, rules: RuleSet) -> datetime | None:
    """When the assessment may be taken again after the last failed attempt (None: no
    failed attempt)."""
    if profile.assessment_failed_at is None:
        return None
    return profile.assessment_failed_at + timedelta(hours=rules.assessment_retry_hours)


def _category_step() -> tuple[str, str]:
    return _("Choose your investor category"), CATEGORY_STEP


def _assessment_step() -> tuple[str, str]:
    return _("Take the assessment"), ASSESSMENT_STEP


def _check_category(profile: InvestorProfile, rules: RuleSet, now: datetime) -> None:
    if profile.category is None or profile.category_stated_at is None:
        raise NeedsCategory(_("Under %(rules)s you first choose your category of investor "
                              "and make the statement that goes with it.", rules=rules.name),
                            next_step=_category_step())
    if highrisk.current_category(profile, rules, now) is None:
        months = rules.statement_valid_months
        raise CategoryLapsed(ngettext(
            "Your statement as a %(category)s, made on %(day)s, is more than %(num)s month "
            "old: make it again before investing.",
            "Your statement as a %(category)s, made on %(day)s, is more than %(num)s months "
            "old: make it again before investing.", months,
            category=profile.category.label.lower(),
            day=date_filter(profile.category_stated_at)),
            next_step=(_("Make your statement again"), CATEGORY_STEP))


def _check_assessment(profile: InvestorProfile, rules: RuleSet, now: datetime) -> None:
    if profile.assessment_passed_at is not None:
        return
    again = retry_at(profile, rules)
    if again is not None and now < again:
        raise NeedsAssessment(_("You did not pass the assessment of whether investments like "
                                "this are right for you. You can take it again from %(when)s.",
                                when=datetime_filter(again)),
                              next_step=_assessment_step(), can_do_now=False, wait_until=again)
    raise NeedsAssessment(_("Under %(rules)s you first pass a short assessment of whether "
                            "investments like this are right for you.", rules=rules.name),
                          next_step=_assessment_step())


def check(user: User, profile: InvestorProfile, rules: RuleSet, now: datetime) -> None:
    """Raise the first protection of ``rules`` the investor has not met: their category
    and its statement (not lapsed), the assessment passed, the cooling-off over."""
    if rules.categorised:
        _check_category(profile, rules, now)
    if rules.needs_assessment:
        _check_assessment(profile, rules, now)
    until = cooling_off_until(user, profile, rules)
    if until is not None and now < until:
        hours = rules.cooling_off_hours
        raise CoolingOff(ngettext(
            "As a first-time investor you can invest from %(when)s: %(num)s hour after you "
            "completed your categorisation and assessment (a cooling-off period for new "
            "investors under the UK's rules).",
            "As a first-time investor you can invest from %(when)s: %(num)s hours after you "
            "completed your categorisation and assessment (a cooling-off period for new "
            "investors under the UK's rules).", hours, when=datetime_filter(until)),
            can_do_now=False, wait_until=until)


def _profile_and_rules(user: User) -> tuple[InvestorProfile, RuleSet]:
    profile = investors.profile_of(user)
    if profile is None:
        raise DomainError(_("Tell us about yourself as an investor first."))
    return profile, rules_for(investors.residence_of(user, profile))


def categorise(user: User, category: str, confirmed: bool,
               now: datetime | None = None) -> InvestorProfile:
    """The investor declares their category and makes its statement (recorded with the
    moment). A certified high net worth investor's profile must show the income or the
    net assets the statement declares."""
    now = now or utcnow()
    lock(user)  # with the assessment at once: one of the two starts the cooling-off
    profile, rules = _profile_and_rules(user)
    if not rules.categorised:
        raise DomainError(_("Your country's rules do not ask for a category of investor."))
    try:
        chosen = InvestorCategory(category)
    except ValueError:
        raise DomainError(_("Choose your category of investor."), field="category") from None
    if not confirmed:
        raise DomainError(_("Confirm the statement of the category you chose."),
                          field="confirm")
    if (chosen is InvestorCategory.HIGH_NET_WORTH
            and profile.annual_income_minor < rules.hnw_income_minor
            and profile.net_worth_minor < rules.hnw_net_assets_minor):
        gbp = lambda minor: Money(minor, rules.currency).format()  # noqa: E731
        raise CategoryNotMet(_(
            "A certified high net worth investor had an income of %(income)s or more, or net "
            "assets of %(assets)s or more, in the last financial year; your profile says "
            "%(declared_income)s and %(declared_assets)s. Update your profile, or choose "
            "another category.", income=gbp(rules.hnw_income_minor),
            assets=gbp(rules.hnw_net_assets_minor),
            declared_income=profile.annual_income.format(),
            declared_assets=profile.net_worth.format()), field="category")
    profile.category = chosen
    profile.category_stated_at = now
    profile.note_uk_steps_done(now)
    return profile


def assess(user: User, answers: dict[str, str], now: datetime | None = None) -> InvestorProfile:
    """One attempt at the appropriateness assessment: every answer right passes (recorded
    with the moment and the questions' version); otherwise the failed attempt is recorded
    and :class:`AssessmentFailed` raised. Within the wait after a failed attempt nothing
    is graded (:class:`AssessmentTooSoon`). The investor's row is locked first: two
    attempts at once are graded one after the other."""
    now = now or utcnow()
    lock(user)
    profile, rules = _profile_and_rules(user)
    if not rules.needs_assessment:
        raise DomainError(_("Your country's rules do not ask for this assessment."))
    if profile.assessment_passed_at is not None:
        return profile
    again = retry_at(profile, rules)
    hours = rules.assessment_retry_hours
    if again is not None and now < again:
        raise AssessmentTooSoon(ngettext(
            "You can take the assessment again from %(when)s, %(num)s hour after your last "
            "attempt.",
            "You can take the assessment again from %(when)s, %(num)s hours after your last "
            "attempt.", hours, when=datetime_filter(again)))
    wrong = highrisk.wrong_answers(answers)
    if wrong:
        profile.assessment_failed_at = now
        profile.assessment_failures = (profile.assessment_failures or 0) + 1
        db.session.flush()
        again = now + timedelta(hours=hours)
        raise AssessmentFailed(ngettext(
            "%(num)s answer is not right, so you did not pass. You can take the "
            "assessment again from %(when)s.",
            "%(num)s answers are not right, so you did not pass. You can take the "
            "assessment again from %(when)s.", len(wrong),
            when=datetime_filter(again)), retry_at=again)
    profile.assessment_passed_at = now
    profile.assessment_version = highrisk.ASSESSMENT_VERSION
    profile.note_uk_steps_done(now)
    return profile


def missing_step(user: User, now: datetime | None = None) -> str | None:
    """The endpoint of the next investor page to go through before investing, in order:
    the profile, the category (UK), the education step, the assessment (UK). None when
    all are done (whatever else may still stop them, the offering page says)."""
    profile = investors.profile_of(user)
    if profile is None:
        return "equity.profile"
    try:
        rules: RuleSet | None = rules_for(investors.residence_of(user, profile))
    except NotOpen:
        rules = None
    if rules and rules.categorised and highrisk.current_category(
            profile, rules, now or utcnow()) is None:
        return CATEGORY_STEP
    if not profile.educated:
        return "equity.education"
    if rules and rules.needs_assessment and profile.assessment_passed_at is None:
        return ASSESSMENT_STEP
    if rules and eu.applies(rules, profile):
        return eu.next_step(profile, now)  # the EU knowledge test, the loss simulation
    return None
