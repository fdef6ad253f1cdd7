"""Investment limits: one rule set per jurisdiction, kept as data.

A rule set says how much an investor may put into crowdfunded offerings over any 12 months,
from what they declared (income, net worth, accredited or not). The engine subtracts what
they committed in the last 12 months (on this platform and, as declared, elsewhere) and
explains the answer in plain words.

Rule sets:

- ``US-REGCF``: US Regulation Crowdfunding (17 CFR 227.100(a)(2), 2022 thresholds): if
  annual income or net worth is under $124,000, the greater of $2,500 or 5% of the greater
  of the two; if both are at least $124,000, 10% of the greater; never more than $124,000.
  Accredited investors have no limit.
- ``UK-RESTRICTED``: a UK restricted investor (COBS 4.7.10R) may put at most 10% of their
  net assets into non-readily realisable securities over 12 months; certified
  sophisticated or high-net-worth investors (``accredited`` here) are not limited.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crowdfund.i18n import _, _l
from crowdfund.money import Money


@dataclass(frozen=True)
class RuleSet:
    """The numbers of one jurisdiction's limit (amounts in the rule set's currency)."""

    code: str
    name: str
    currency: str
    kind: str  # "regcf" or "percent_of_net_worth"
    #: Reg CF: below this (income or net worth) the lower tier applies.
    threshold_minor: int = 0
    floor_minor: int = 0
    lower_rate: Decimal = Decimal(0)
    upper_rate: Decimal = Decimal(0)
    cap_minor: int | None = None
    #: percent_of_net_worth: the share of net assets.
    rate: Decimal = Decimal(0)
    accredited_unlimited: bool = True


RULE_SETS: dict[str, RuleSet] = {
    "US-REGCF": RuleSet(
        code="US-REGCF", name=_l("US Regulation Crowdfunding"), currency="USD", kind="regcf",
        threshold_minor=124_000_00, floor_minor=2_500_00, lower_rate=Decimal("0.05"),
        upper_rate=Decimal("0.10"), cap_minor=124_000_00),
    "UK-RESTRICTED": RuleSet(
        code="UK-RESTRICTED", name=_l("UK restricted investor (10% of net assets)"),
        currency="GBP", kind="percent_of_net_worth", rate=Decimal("0.10")),
}
#: Investors from these jurisdictions use that rule set; anyone else the default.
JURISDICTION_RULES = {"US": "US-REGCF", "GB": "UK-RESTRICTED"}
DEFAULT_RULES = "US-REGCF"


def rules_for(jurisdiction: str) -> RuleSet:
    return RULE_SETS[JURISDICTION_RULES.get(jurisdiction.upper(), DEFAULT_RULES)]


@dataclass(frozen=True)
class Declared:
    """What an investor states about themselves, in the rule set's currency."""

    annual_income: Money
    net_worth: Money
    accredited: bool = False


@dataclass(frozen=True)
class Limit:
    """How much more the investor may commit now, and why."""

    rules: RuleSet
    annual_limit: Money | None  # None: no limit (accredited)
    committed: Money
    available: Money | None

    def allows(self, amount: Money) -> bool:
        return self.available is None or amount <= self.available

    def explain(self) -> str:
        """The limit in one sentence, with its numbers."""
        if self.annual_limit is None:
            return _("As an accredited investor you have no investment limit under %(rules)s.",
                     rules=self.rules.name)
        return _("Your limit for the next 12 months is %(limit)s; you have %(committed)s "
                 "committed; you can invest up to %(available)s.", **self._numbers())

    def refusal(self, amount: Money) -> str:
        """Why ``amount`` is refused, with the numbers of the limit."""
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


def annual_limit(rules: RuleSet, declared: Declared) -> Money | None:
    """The 12-month limit from what the investor declared (None: unlimited)."""
    if declared.accredited and rules.accredited_unlimited:
        return None
    for value in (declared.annual_income, declared.net_worth):
        if value.currency != rules.currency:
            raise ValueError(f"{rules.code} works in {rules.currency}, not {value.currency}")
        if value.amount < 0:
            raise ValueError("Income and net worth cannot be negative.")
    income, worth = declared.annual_income.amount, declared.net_worth.amount
    if rules.kind == "percent_of_net_worth":
        return Money(_share(worth, rules.rate), rules.currency)
    greater = max(income, worth)
    if income < rules.threshold_minor or worth < rules.threshold_minor:
        limit = max(rules.floor_minor, _share(greater, rules.lower_rate))
    else:
        limit = _share(greater, rules.upper_rate)
    if rules.cap_minor is not None:
        limit = min(limit, rules.cap_minor)
    return Money(limit, rules.currency)


def limit_for(rules: RuleSet, declared: Declared, committed: Money) -> Limit:
    """What is left of the 12-month limit after ``committed`` (never below zero)."""
    limit = annual_limit(rules, declared)
    if limit is None:
        return Limit(rules, None, committed, None)
    available = Money(max(limit.amount - committed.amount, 0), rules.currency)
    return Limit(rules, limit, committed, available)
