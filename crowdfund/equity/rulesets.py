"""Investor rules per jurisdiction, as data (docs/investor-rules.md).

Each rule set names its source and the date it took effect, and holds its numbers in one
table; ``limits.py`` applies them. A country's residents invest under the rule set
``JURISDICTIONS`` gives it, and under no other: a country without one is refused
(:class:`NotOpen`), never given another country's rules.

- ``US-REGCF``: US Regulation Crowdfunding, 17 CFR 227.100(a)(2). The thresholds move with
  inflation (the SEC adjusts them at least every five years): :data:`REGCF_THRESHOLDS`
  holds each set with the day it took effect, and a limit uses the set in force on the
  day it is computed.
- ``UK-COBS``: FCA COBS 4.12A (as amended by PS22/10, in force 1 February 2023): the
  investor declares a category with its statement (COBS 4 Annexes 2R to 5R), made again
  after 12 months; a restricted investor may put at most 10% of their net assets into such
  investments over 12 months; high-net-worth (income of GBP 100,000 or net assets of
  GBP 250,000) and sophisticated investors are not limited. They pass an appropriateness
  assessment first (COBS 10, retaken only 24 hours after a failed attempt), a first-time
  investor waits out a 24-hour cooling-off, and everyone sees the personalised risk
  warning (``highrisk.py``, ``protections.py``).
- ``EU-ECSPR``: Regulation (EU) 2020/1503 (European crowdfunding service providers), in
  application since 10 November 2021: no limit, but for non-sophisticated investors the
  entry knowledge test, the loss simulation (10% of net worth), the warning and consent
  above the higher of EUR 1,000 or 5% of net worth, and the 4-day reflection period
  (``equity/eu.py``); at most EUR 5,000,000 per offering over 12 months. A rule set is
  opened (``open``) only with every protection it asks for.
- ``CN-2014``: the Securities Association of China's draft rules for private equity
  crowdfunding (私募股权众筹融资管理办法（试行）（征求意见稿）, 18 December 2014):
  qualified investors only, under their real name, at most 200 investors per offering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crowdfund.errors import DomainError
from crowdfund.filters import country_name
from crowdfund.i18n import _, _l


@dataclass(frozen=True)
class RegCfThresholds:
    """One set of Reg CF's inflation-adjusted amounts (USD cents) and when it took effect."""

    effective: date
    source: str
    threshold_minor: int  # income or net worth below it: the lower tier
    floor_minor: int  # the lower tier's minimum limit
    cap_minor: int  # the most anyone non-accredited may invest over 12 months


#: Oldest first. 2021: Release 33-10884 (effective 15 March 2021; accredited investors no
#: longer limited). 2022: Release 33-11098, published in the Federal Register (87 FR 57394)
#: on 20 September 2022 and effective that day.
REGCF_THRESHOLDS: tuple[RegCfThresholds, ...] = (
    RegCfThresholds(date(2021, 3, 15), "Release 33-10884", 107_000_00, 2_200_00,
                    107_000_00),
    RegCfThresholds(date(2022, 9, 20), "Release 33-11098 (87 FR 57394)", 124_000_00,
                    2_500_00, 124_000_00),
)


def regcf_thresholds(on: date) -> RegCfThresholds:
    """The Reg CF amounts in force on ``on`` (the oldest set before any took effect)."""
    in_force = [t for t in REGCF_THRESHOLDS if t.effective <= on]
    return in_force[-1] if in_force else REGCF_THRESHOLDS[0]


@dataclass(frozen=True)
class RuleSet:
    """One jurisdiction's rules for investors: where they come from and their numbers
    (amounts in minor units of ``currency``)."""

    code: str
    name: str
    source: str
    effective: date
    currency: str
    #: How the limit is computed: "regcf", "share_of_net_worth" (UK), "warning" (EU: no
    #: limit, a warning and consent above a threshold), "qualified" (CN).
    kind: str
    #: False: the rules are written down but investing is not open yet (said so).
    open: bool = True
    #: UK restricted investors: the share of net assets; EU: the loss simulation's share.
    rate: Decimal = Decimal(0)
    #: EU: above the higher of this and ``warning_rate`` of net worth, warn and ask consent.
    warning_floor_minor: int = 0
    warning_rate: Decimal = Decimal(0)
    #: EU: days an investor may revoke an offer without reason or penalty.
    reflection_days: int = 0
    #: EU: the most one offering may raise over 12 months.
    offering_cap_minor: int | None = None
    #: CN: a qualified investor meets one of these (any one is enough).
    single_investment_minor: int = 0
    financial_assets_minor: int = 0
    average_income_minor: int = 0
    #: CN: at most this many investors in one offering of an issuer under these rules.
    max_investors: int | None = None
    #: CN: real name: the investor's identity check must be verified.
    needs_verified_identity: bool = False
    #: UK: the investor declares a category with its statement, made again after this many
    #: months (0: no categories under these rules). Only a restricted investor is limited.
    statement_valid_months: int = 0
    #: UK: a certified high net worth investor's income, or net assets, in the last
    #: financial year (either is enough).
    hnw_income_minor: int = 0
    hnw_net_assets_minor: int = 0
    #: UK: the appropriateness assessment must be passed first; after a failed attempt the
    #: next one only this many hours later.
    needs_assessment: bool = False
    assessment_retry_hours: int = 0
    #: UK: a first-time investor commits only this many hours after their categorisation
    #: and assessment were complete (0: no cooling-off).
    cooling_off_hours: int = 0
    #: UK: the personalised risk warning and the risk summary, shown before investing.
    risk_warning: bool = False

    @property
    def categorised(self) -> bool:
        """Investors under these rules declare a category with its statement."""
        return self.statement_valid_months > 0


RULE_SETS: dict[str, RuleSet] = {
    "US-REGCF": RuleSet(
        code="US-REGCF", name=_l("US Regulation Crowdfunding"),
        source="17 CFR 227.100(a)(2)", effective=date(2022, 9, 20), currency="USD",
        kind="regcf"),
    "UK-COBS": RuleSet(
        code="UK-COBS", name=_l("UK rules for crowdfunding investors"),
        source="FCA COBS 4.12A, PS22/10", effective=date(2023, 2, 1), currency="GBP",
        kind="share_of_net_worth", rate=Decimal("0.10"), statement_valid_months=12,
        hnw_income_minor=100_000_00, hnw_net_assets_minor=250_000_00, needs_assessment=True,
        assessment_retry_hours=24, cooling_off_hours=24, risk_warning=True),
    "EU-ECSPR": RuleSet(
        code="EU-ECSPR", name=_l("EU crowdfunding regulation (ECSPR)"),
        source="Regulation (EU) 2020/1503, Articles 21-23", effective=date(2021, 11, 10),
        currency="EUR", kind="warning", rate=Decimal("0.10"),
        warning_floor_minor=1_000_00, warning_rate=Decimal("0.05"), reflection_days=4,
        offering_cap_minor=5_000_000_00),
    "CN-2014": RuleSet(
        code="CN-2014", name=_l("China's rules for private equity crowdfunding (2014 draft)"),
        source="私募股权众筹融资管理办法（试行）（征求意见稿）, SAC, 2014-12-18",
        effective=date(2014, 12, 18), currency="CNY", kind="qualified",
        single_investment_minor=1_000_000_00, financial_assets_minor=3_000_000_00,
        average_income_minor=500_000_00, max_investors=200, needs_verified_identity=True),
}

#: The 27 member states of the European Union (ISO 3166-1 alpha-2).
EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"})

#: Residents of each country invest under this rule set; no other country has one.
JURISDICTIONS: dict[str, str] = {
    "US": "US-REGCF", "GB": "UK-COBS", "CN": "CN-2014",
    **dict.fromkeys(EU_MEMBERS, "EU-ECSPR"),
}


class NotOpen(DomainError):
    """Investing is not open to residents of this country (no rule set, or not yet)."""

    status_code = 403


def rules_for(country: str) -> RuleSet:
    """The rule set of a resident of ``country`` (ISO code). Raises :class:`NotOpen` for a
    country without one, or whose rules are not open yet: never another country's."""
    code = JURISDICTIONS.get(country.upper())
    if code is None:
        raise NotOpen(_("Investing is not yet open to residents of %(country)s: we have no "
                        "investor rules for it yet.", country=country_name(country.upper())))
    rules = RULE_SETS[code]
    if not rules.open:
        raise NotOpen(_("Investing is not yet open to residents of %(country)s: the "
                        "protections %(rules)s asks for are not in place here yet.",
                        country=country_name(country.upper()), rules=rules.name))
    return rules
