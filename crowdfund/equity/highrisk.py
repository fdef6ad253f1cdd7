"""The UK's protections for investors in high-risk investments, as data (FCA COBS 4.12A and
COBS 10, as amended by policy statement PS22/10, in force since 1 February 2023).

- **Categories and their statements.** Before investing, a UK resident declares which
  category of investor they are and makes its statement: restricted investor (COBS 4 Annex
  5R), certified high net worth investor (Annex 2R), certified sophisticated investor
  (Annex 3R), self-certified sophisticated investor (Annex 4R). :func:`statement` gives the
  substance of each, with the rule set's figures. A statement lapses 12 months after it was
  made (``RuleSet.statement_valid_months``).
- **The appropriateness assessment** (COBS 10, PS22/10): multiple-choice questions on the
  risks (:data:`QUESTIONS`). The right answer is a key (what the form posts), never the
  words shown, so a translated question is checked the same.

The numbers (10% of net assets, GBP 100,000 of income or GBP 250,000 of net assets, the
24-hour waits) are in the rule set (``rulesets.py``); the services that use these texts are
in ``protections.py``. docs/investor-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import LazyString

from crowdfund.equity.limits import percent
from crowdfund.equity.models import InvestorCategory, InvestorProfile
from crowdfund.equity.rulesets import RuleSet
from crowdfund.i18n import _, _l
from crowdfund.money import Money

C = InvestorCategory

#: Self-certified sophisticated investors: a director of a company with at least this
#: annual turnover (COBS 4 Annex 4R), in pence.
SOPHISTICATED_TURNOVER_MINOR = 1_000_000_00
#: A certified sophisticated investor's certificate is at most this many months old.
CERTIFICATE_MONTHS = 36


@dataclass(frozen=True)
class Statement:
    """What an investor of one category declares: an opening sentence, the points it
    lists (any that apply, or all, as the opening says), and what they accept."""

    opening: str
    points: tuple[str, ...]
    closing: str


def statement(category: InvestorCategory, rules: RuleSet) -> Statement:
    """The substance of ``category``'s statement, with the figures of ``rules``."""
    gbp = lambda minor: Money(minor, rules.currency).format()  # noqa: E731
    closing = _("I accept that I can lose all of the money I invest in these investments, "
                "and that I can ask for advice from an authorised person who specialises in "
                "them before investing.")
    if category is C.RESTRICTED:
        rate = percent(rules.rate)
        return Statement(
            _("I am a restricted investor: both of these apply to me. High-risk "
              "investments are investment-based crowdfunding, peer-to-peer loans and "
              "shares or bonds of companies not listed on a stock exchange; my net assets do "
              "not count my home, my pension or rights under qualifying insurance "
              "contracts."),
            (_("In the last 12 months I have not invested more than %(rate)s of my net "
               "assets in high-risk investments.", rate=rate),
             _("In the next 12 months I will not invest more than %(rate)s of my net assets "
               "in high-risk investments.", rate=rate)),
            closing)
    if category is C.HIGH_NET_WORTH:
        return Statement(
            _("I am a certified high net worth investor: in the last financial year at least "
              "one of these applied to me."),
            (_("I had an annual income of %(income)s or more (not counting money taken out "
               "of my pension savings).", income=gbp(rules.hnw_income_minor)),
             _("I held net assets of %(assets)s or more (not counting my home, my pension or "
               "rights under qualifying insurance contracts).",
               assets=gbp(rules.hnw_net_assets_minor))),
            closing)
    if category is C.CERTIFIED_SOPHISTICATED:
        return Statement(
            _("I am a certified sophisticated investor: this applies to me."),
            (_("A firm authorised by the Financial Conduct Authority has certified, in the "
               "last %(months)s months, that I know enough to understand the risks of "
               "investing in unlisted shares and bonds.", months=CERTIFICATE_MONTHS),),
            closing)
    return Statement(
        _("I am a self-certified sophisticated investor: in the last two years at least one "
          "of these applied to me."),
        (_("I have been a member of a network or syndicate of business angels for at least "
           "six months."),
         _("I have made more than one investment in an unlisted company."),
         _("I have worked in private equity, or in providing finance to small and "
           "medium-sized businesses."),
         _("I have been a director of a company with an annual turnover of at least "
           "%(turnover)s.", turnover=gbp(SOPHISTICATED_TURNOVER_MINOR))),
        closing)


def lapses_at(stated_at: datetime, rules: RuleSet) -> datetime:
    """When a statement made at ``stated_at`` lapses: the same moment
    ``statement_valid_months`` later (29 February: the 28th)."""
    months = stated_at.month - 1 + rules.statement_valid_months
    year, month = stated_at.year + months // 12, months % 12 + 1
    day = stated_at.day
    while True:
        try:
            return stated_at.replace(year=year, month=month, day=day)
        except ValueError:  # no such day in that month
            day -= 1


def current_category(profile: InvestorProfile, rules: RuleSet,
                     now: datetime) -> InvestorCategory | None:
    """The investor's category while its statement stands (None: none made, or lapsed)."""
    if not rules.categorised or profile.category is None or profile.category_stated_at is None:
        return None
    if now >= lapses_at(profile.category_stated_at, rules):
        return None
    return profile.category


def not_limited(profile: InvestorProfile, rules: RuleSet, now: datetime) -> bool:
    """Not limited by the rules' category: under the UK's rules a high-net-worth or
    sophisticated investor whose statement stands (a restricted investor, or anyone whose
    statement lapsed, is held to the share of net assets); elsewhere the profile's
    accredited flag (a US accredited investor)."""
    if not rules.categorised:
        return profile.accredited
    category = current_category(profile, rules, now)
    return category is not None and not category.limited


@dataclass(frozen=True)
class Question:
    """One question of the appropriateness assessment: the choices as (key, words), and
    the key of the right one."""

    name: str
    text: LazyString
    choices: tuple[tuple[str, LazyString], ...]
    right: str


#: The version of the questions (every language asks the same): recorded with a pass.
ASSESSMENT_VERSION = "2026-12"
QUESTIONS: tuple[Question, ...] = (
    Question("company_fails", _l("The company you invest in fails. What is most likely to "
                                 "happen to the money you invested?"), (
        ("platform_repays", _l("The platform pays it back.")),
        ("lose_all", _l("You lose all of it.")),
        ("assets_sold", _l("You get it back in full once the company's assets are sold.")),
    ), "lose_all"),
    Question("protection", _l("Who protects you if this investment goes wrong?"), (
        ("compensation", _l("The Financial Services Compensation Scheme pays back what you "
                            "lost.")),
        ("platform_guarantee", _l("The platform guarantees your investment.")),
        ("nobody", _l("Most likely nobody: the compensation scheme does not cover losses on "
                      "investments like this.")),
    ), "nobody"),
    Question("money_back", _l("You want your money back two years from now. What can you "
                              "expect?"), (
        ("may_not_sell", _l("You may not be able to sell your shares at all, or only years "
                            "later and for less than you paid.")),
        ("stock_exchange", _l("You can sell your shares on a stock exchange whenever you "
                              "want.")),
        ("platform_buys", _l("The platform buys your shares back at the price you paid.")),
    ), "may_not_sell"),
    Question("new_shares", _l("The company raises more money later by issuing new shares. "
                              "What can happen to your shares?"), (
        ("always_grow", _l("They always grow in value with the new money.")),
        ("unchanged", _l("Nothing: your part of the company stays the same.")),
        ("diluted", _l("They become a smaller part of the company, and can be worth less.")),
    ), "diluted"),
    Question("how_much", _l("How much of your net assets is it sensible to put into "
                            "investments like this?"), (
        ("most", _l("Most of them, to make the most of the returns.")),
        ("one_company", _l("As much as you like, as long as it all goes into one company you "
                           "know well.")),
        ("small_share", _l("No more than a tenth of them, spread over several companies.")),
    ), "small_share"),
    Question("dividends", _l("How often can you expect dividends from a young company?"), (
        ("every_year", _l("Every year, like the interest on a savings account.")),
        ("rarely", _l("Rarely, if ever: young companies usually keep any profit to grow.")),
        ("every_month", _l("Every month.")),
    ), "rarely"),
)


def wrong_answers(answers: dict[str, str]) -> list[str]:
    """The questions (their names) not answered with their right key."""
    return [q.name for q in QUESTIONS if answers.get(q.name) != q.right]
