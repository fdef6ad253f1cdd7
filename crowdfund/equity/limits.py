"""Investment limits: what a rule set (``rulesets.py``) allows an investor, and why.

From what the investor declared (income, net worth, financial assets, their category) and
what they committed in the last 12 months (converted into the rule set's currency), a
:class:`Limit` says what they may invest now, explains it in plain words and shows its
arithmetic, step by step, so the investor can check it. docs/investor-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.numbers import format_percent

from crowdfund.filters import date_filter
from crowdfund.i18n import _, reader_locale
from crowdfund.money import Money

from .rulesets import RULE_SETS, RuleSet, regcf_thresholds, rules_for

__all__ = ["RULE_SETS", "Declared", "Limit", "RuleSet", "annual_limit", "limit_for",
           "rules_for"]


@dataclass(frozen=True)
class Declared:
    """What an investor states about themselves, in the rule set's currency.

    ``accredited``: not limited by the rules' category (a US accredited investor, a UK
    high-net-worth or sophisticated investor). ``financial_assets``: China's test."""

    annual_income: Money
    net_worth: Money
    accredited: bool = False
    financial_assets: Money | None = None


@dataclass(frozen=True)
class Limit:
    """How much more the investor may commit now, and why."""

    rules: RuleSet
    annual_limit: Money | None  # None: no 12-month limit
    committed: Money
    available: Money | None
    #: China, an investor who is not otherwise qualified: only one investment of at least
    #: this much in a single project makes them a qualified investor for it.
    minimum: Money | None = None
    #: The computation, one step a line, in the reader's words.
    arithmetic: tuple[str, ...] = field(default=())

    def allows(self, amount: Money) -> bool:
        if self.minimum is not None and amount < self.minimum:
            return False
        return self.available is None or amount <= self.available

    def explain(self) -> str:
        """The limit in one sentence, with its numbers."""
        if self.minimum is not None:
            return _("Under %(rules)s you are not a qualified investor by your assets or "
                     "income: you can invest only %(minimum)s or more in a single offering.",
                     rules=self.rules.name, minimum=self.minimum.format())
        if self.annual_limit is None:
            return _("You have no investment limit under %(rules)s.", rules=self.rules.name)
        return _("Your limit for the next 12 months is %(limit)s; you have %(committed)s "
                 "committed; you can invest up to %(available)s.", **self._numbers())

    def refusal(self, amount: Money) -> str:
        """Why ``amount`` is refused, with the numbers of the limit."""
        if self.minimum is not None and amount < self.minimum:
            return _("%(amount)s is less than %(minimum)s, the least a person who is not a "
                     "qualified investor by assets or income may invest in one offering "
                     "under %(rules)s.", amount=amount.format(),
                     minimum=self.minimum.format(), rules=self.rules.name)
        if self.annual_limit is None:  # no limit refuses nothing; said for completeness
            return self.explain()
        return _("%(amount)s is more than you can invest now. Your limit for the next 12 "
                 "months is %(limit)s; you have %(committed)s committed; you can invest up "
                 "to %(available)s.", amount=amount.format(), **self._numbers())

    def _numbers(self) -> dict[str, str]:
        return {"limit": self.annual_limit.format(), "committed": self.committed.format(),
                "available": self.available.format()}


def _share(amount: int, rate: Decimal) -> int:
    """``rate`` of ``amount`` minor units, rounded down to a whole minor unit."""
    return int(Decimal(amount) * rate)


def percent(rate: Decimal) -> str:
    """A share as the reader writes a percentage ("10%", "12.5%")."""
    return format_percent(rate, locale=reader_locale(), format="#,##0.##%")


def _checked(rules: RuleSet, declared: Declared) -> None:
    amounts = [declared.annual_income, declared.net_worth]
    if declared.financial_assets is not None:
        amounts.append(declared.financial_assets)
    for value in amounts:
        if value.currency != rules.currency:
            raise ValueError(f"{rules.code} works in {rules.currency}, not {value.currency}")
        if value.amount < 0:
            raise ValueError("Income and net worth cannot be negative.")


def _regcf(rules: RuleSet, declared: Declared, on: date) -> tuple[Money, list[str]]:
    t = regcf_thresholds(on)
    income, worth = declared.annual_income.amount, declared.net_worth.amount
    greater = max(income, worth)
    m = lambda minor: Money(minor, rules.currency).format()  # noqa: E731
    steps = [_("Amounts in force since %(day)s.", day=date_filter(t.effective))]
    if income < t.threshold_minor or worth < t.threshold_minor:
        share = _share(greater, Decimal("0.05"))
        limit = max(t.floor_minor, share)
        steps.append(_("Your income or your net worth is under %(threshold)s: the greater of "
                       "%(floor)s and 5%% of %(greater)s (%(share)s).", threshold=m(
                           t.threshold_minor), floor=m(t.floor_minor), greater=m(greater),
                       share=m(share)))
    else:
        limit = _share(greater, Decimal("0.10"))
        steps.append(_("Your income and your net worth are both %(threshold)s or more: 10%% "
                       "of %(greater)s (%(share)s).", threshold=m(t.threshold_minor),
                       greater=m(greater), share=m(limit)))
    if limit > t.cap_minor:
        limit = t.cap_minor
        steps.append(_("Never more than %(cap)s.", cap=m(t.cap_minor)))
    return Money(limit, rules.currency), steps


def annual_limit(rules: RuleSet, declared: Declared, on: date | None = None) -> Money | None:
    """The 12-month limit from what the investor declared (None: not limited)."""
    return _limit_and_steps(rules, declared, on or date.today())[0]


def _limit_and_steps(rules: RuleSet, declared: Declared,
                     on: date) -> tuple[Money | None, list[str]]:
    _checked(rules, declared)
    if declared.accredited:
        return None, [_("Your category of investor is not limited under these rules.")]
    if rules.kind == "regcf":
        return _regcf(rules, declared, on)
    if rules.kind == "share_of_net_worth":
        limit = Money(_share(declared.net_worth.amount, rules.rate), rules.currency)
        return limit, [_("A restricted investor may invest %(rate)s of their net assets "
                         "(%(worth)s): %(limit)s.", rate=percent(rules.rate),
                         worth=declared.net_worth.format(), limit=limit.format())]
    return None, []


def _qualified(rules: RuleSet, declared: Declared) -> tuple[bool, list[str]]:
    """China: financial assets or average income enough to be a qualified investor."""
    assets = declared.financial_assets or Money(0, rules.currency)
    wanted = {"assets": Money(rules.financial_assets_minor, rules.currency).format(),
              "income": Money(rules.average_income_minor, rules.currency).format(),
              "single": Money(rules.single_investment_minor, rules.currency).format()}
    if (assets.amount >= rules.financial_assets_minor
            or declared.annual_income.amount >= rules.average_income_minor):
        return True, [_("Financial assets of %(assets)s or more, or an average income of "
                        "%(income)s or more over the last three years: you are a qualified "
                        "investor.", **wanted)]
    return False, [_("Your financial assets are under %(assets)s and your average income "
                     "under %(income)s: only an investment of %(single)s or more in a single "
                     "offering is open to you.", **wanted)]


def limit_for(rules: RuleSet, declared: Declared, committed: Money,
              on: date | None = None) -> Limit:
    """What is left of the 12-month limit after ``committed`` (never below zero)."""
    if rules.kind == "qualified":
        _checked(rules, declared)
        qualified, steps = _qualified(rules, declared)
        minimum = None if qualified else Money(rules.single_investment_minor, rules.currency)
        return Limit(rules, None, committed, None, minimum, tuple(steps))
    limit, steps = _limit_and_steps(rules, declared, on or date.today())
    if limit is None:
        return Limit(rules, None, committed, None, arithmetic=tuple(steps))
    available = Money(max(limit.amount - committed.amount, 0), rules.currency)
    steps.append(_("Less %(committed)s committed in the last 12 months: %(available)s.",
                   committed=committed.format(), available=available.format()))
    return Limit(rules, limit, committed, available, arithmetic=tuple(steps))


def loss_capacity(rules: RuleSet, net_worth: Money) -> Money:
    """EU: the simulation of the ability to bear loss: ``rate`` (10%) of net worth."""
    return Money(_share(net_worth.amount, rules.rate), rules.currency)


def warning_line(rules: RuleSet, net_worth: Money) -> Money:
    """EU: the higher of the floor (EUR 1,000) and ``warning_rate`` (5%) of net worth."""
    return Money(max(rules.warning_floor_minor, _share(net_worth.amount, rules.warning_rate)),
                 rules.currency)


def needs_warning(rules: RuleSet, amount: Money, net_worth: Money) -> bool:
    """EU, a non-sophisticated investor: an investment above :func:`warning_line` asks an
    explicit warning and consent (Regulation (EU) 2020/1503, Article 21(7))."""
    return amount.amount > warning_line(rules, net_worth).amount
