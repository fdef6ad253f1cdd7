"""Investor profiles, the education step, and what an investor may still invest.

Before a first investment an investor states the country they live in, income, net worth
(and for China's rules their financial assets), whether they are accredited and what they
invested elsewhere in the last 12 months, and passes a short education step with a risk
acknowledgement (recorded with its date and the version of the text). Their country is the
one their verified identity check names, once verified (the declared one until then);
their rules come from that country alone (``rulesets.py``: a country without rules is
refused, never given another's), and their limit is those rules' less what they committed
in the last 12 months, on this platform in any currency (converted with the dated
exchange rates, ``rates.py``) and elsewhere. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind
from crowdfund.db import utcnow
from crowdfund.equity import highrisk, rates
from crowdfund.equity.limits import Declared, Limit, limit_for
from crowdfund.equity.models import InvestorProfile
from crowdfund.equity.rulesets import NotOpen, RuleSet, rules_for
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import country_name
from crowdfund.i18n import _, _l, ngettext
from crowdfund.locking import lock
from crowdfund.money import Money, MoneyError
from crowdfund.pledges.models import Pledge, PledgeStatus

P = PledgeStatus
#: Commitments that count against the limit: money promised or paid, not given back.
COMMITTED = (P.PENDING, P.ACTIVE, P.COLLECTED, P.ERRORED, P.AUTHENTICATION_REQUIRED,
             P.DISPUTED)
WINDOW = timedelta(days=365)

#: The version of the text (every language says the same): recorded with the answer.
EDUCATION_VERSION = "2026-11"
EDUCATION = [
    _l("Investing in young companies is risky. Most of them fail, and when they do you lose "
       "all of the money you invested."),
    _l("You may not be able to sell your shares for years, or ever: there is usually no "
       "market for them, and the law may restrict reselling them for a year."),
    _l("Your stake can be diluted when the company raises more money later, and you will "
       "rarely receive dividends."),
    _l("You can cancel an investment for any reason until 48 hours before the offering's "
       "deadline. After that your commitment stands."),
    _l("The law limits how much you can invest in crowdfunding offerings over 12 months, "
       "based on your income and net worth; we check it before each investment."),
]
#: (field name, question, the right answer): the answer is a key ("yes" or "no", the values
#: the form posts), never the words shown, so a translated question is checked the same.
QUIZ = [
    ("lose_all", _l("Can you lose all of the money you invest?"), "yes"),
    ("easy_to_sell", _l("Can you expect to sell your shares easily whenever you want?"), "no"),
    ("cancel_late", _l("Can you cancel an investment in the last 48 hours before the "
                       "deadline?"), "no"),
]


@dataclass(frozen=True)
class ProfileInput:
    jurisdiction: str
    annual_income: Decimal
    net_worth: Decimal
    accredited: bool
    invested_elsewhere: Decimal
    #: China's rules: financial assets (deposits, securities, funds...), not one's home.
    financial_assets: Decimal | None = None


def profile_of(user: User) -> InvestorProfile | None:
    return db.session.scalar(sa.select(InvestorProfile).where(InvestorProfile.user_id == user.id))


def _money(value: Decimal, currency: str, field: str) -> Money:
    try:
        money = Money.from_decimal(value, currency)
    except MoneyError as exc:
        raise DomainError(str(exc), field=field) from None
    if money.amount < 0:
        raise DomainError(_("Cannot be negative."), field=field)
    return money


def verified_country(user: User) -> str | None:
    """The country of residence the person's verified identity check names, if any."""
    record = user.verification
    if record is None or not record.is_verified or not record.country:
        return None
    return record.country


def residence_of(user: User, profile: InvestorProfile | None = None) -> str | None:
    """Where the investor lives for the rules: their verified residence, else what their
    profile declares (None without either)."""
    profile = profile if profile is not None else profile_of(user)
    return verified_country(user) or (profile.jurisdiction if profile else None)


def _rules_of_country(user: User, country: str) -> RuleSet:
    verified = verified_country(user)
    if verified and verified != country.upper():
        raise DomainError(_("Your verified identity says you live in %(country)s: your "
                            "profile must say so too.", country=country_name(verified)),
                          field="jurisdiction")
    try:
        return rules_for(country)
    except NotOpen as exc:
        raise DomainError(exc.message, field="jurisdiction") from None


def save_profile(user: User, data: ProfileInput) -> InvestorProfile:
    """Create or update the investor's declarations (amounts in their rule set's currency).
    A country without investor rules is refused next to its field."""
    if len(data.jurisdiction) != 2 or not data.jurisdiction.isalpha():
        raise DomainError(_("Choose the country you live in."), field="jurisdiction")
    rules = _rules_of_country(user, data.jurisdiction)
    currency = rules.currency
    income = _money(data.annual_income, currency, "annual_income")
    worth = _money(data.net_worth, currency, "net_worth")
    elsewhere = _money(data.invested_elsewhere, currency, "invested_elsewhere")
    assets = None
    if rules.kind == "qualified":
        if data.financial_assets is None:
            raise DomainError(_("Enter your financial assets (0 if none)."),
                              field="financial_assets")
        assets = _money(data.financial_assets, currency, "financial_assets")
    lock(user)  # two saves at once: one profile, updated twice
    profile = profile_of(user) or InvestorProfile(user_id=user.id)
    profile.jurisdiction = data.jurisdiction.upper()
    profile.currency = currency
    profile.annual_income_minor = income.amount
    profile.net_worth_minor = worth.amount
    profile.financial_assets_minor = assets.amount if assets is not None else None
    # UK: the category declared with its statement decides, not this box (protections.py).
    profile.accredited = data.accredited and not rules.categorised
    profile.invested_elsewhere_minor = elsewhere.amount
    db.session.add(profile)
    db.session.flush()
    return profile


class WrongAnswers(DomainError):
    """Quiz answers that are not right: each is marked, so the investor knows which."""

    def __init__(self, fields: list[str]) -> None:
        count = len(fields)
        super().__init__(ngettext(
            "%(num)s answer is not right (marked below); read the text above again.",
            "%(num)s answers are not right (marked below); read the text above again.",
            count))
        self.fields = fields


def acknowledge(user: User, answers: dict[str, str], accepted: bool,
                now: datetime | None = None) -> InvestorProfile:
    """The education step: every question right and the risks accepted."""
    profile = profile_of(user)
    if profile is None:
        raise DomainError(_("Tell us about yourself as an investor first."))
    wrong = [name for name, _question, right in QUIZ if answers.get(name) != right]
    if wrong:
        raise WrongAnswers(wrong)
    if not accepted:
        raise DomainError(_("Confirm that you understand the risks."), field="accept")
    profile.education_version = EDUCATION_VERSION
    profile.acknowledged_at = now or utcnow()
    return profile


def committed(user: User, currency: str, now: datetime | None = None) -> Money:
    """What the investor committed to equity offerings here in the last 12 months, in
    ``currency``: each commitment at the amount its limit check stored in that currency,
    else converted at the rate in force today (``rates.MissingRate`` when there is none:
    a commitment never counts as nothing)."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Pledge.currency, Pledge.limit_currency,
                  sa.func.coalesce(sa.func.sum(Pledge.amount_minor), 0),
                  sa.func.coalesce(sa.func.sum(Pledge.limit_amount_minor), 0))
        .join(Campaign, Campaign.id == Pledge.campaign_id)
        .where(Pledge.backer_id == user.id, Campaign.kind == CampaignKind.EQUITY,
               Pledge.status.in_(COMMITTED), Pledge.created_at > now - WINDOW)
        .group_by(Pledge.currency, Pledge.limit_currency)).all()
    total = Money.zero(currency)
    for pledged_in, stored_in, amount, stored in rows:
        if stored_in == currency:
            total += Money(int(stored), currency)
        else:
            total += rates.convert(Money(int(amount), pledged_in), currency, now.date())[0]
    return total


def rules_of(user: User, profile: InvestorProfile | None = None) -> RuleSet:
    """The rules of where the investor lives (``NotOpen`` when none are open there)."""
    return rules_for(residence_of(user, profile))


def limit_of(user: User, now: datetime | None = None) -> Limit | None:
    """The investor's limit now (None without a profile). Raises ``NotOpen`` when their
    country has no rules open, ``rates.MissingRate`` when a commitment cannot be counted."""
    profile = profile_of(user)
    if profile is None:
        return None
    rules = rules_for(residence_of(user, profile))
    now = now or utcnow()
    if profile.currency != rules.currency:  # the verified residence changed the rules
        raise DomainError(_("Your investor profile is in %(currency)s, not in the currency "
                            "of your country's rules: update it.", currency=profile.currency))
    declared = Declared(profile.annual_income, profile.net_worth,
                        highrisk.not_limited(profile, rules, now), profile.financial_assets)
    so_far = committed(user, rules.currency, now) + profile.invested_elsewhere
    return limit_for(rules, declared, so_far, now.date())
