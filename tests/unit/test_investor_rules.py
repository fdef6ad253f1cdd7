"""Investor rules per jurisdiction, each tested against its source's own figures, and the
rule that no country is ever given another's rules (docs/investor-rules.md)."""

from __future__ import annotations

from datetime import date

import pytest
from babel import Locale

from crowdfund.equity.limits import Declared, annual_limit, limit_for, loss_capacity, needs_warning
from crowdfund.equity.rulesets import (
    EU_MEMBERS,
    JURISDICTIONS,
    REGCF_THRESHOLDS,
    RULE_SETS,
    NotOpen,
    regcf_thresholds,
    rules_for,
)
from crowdfund.forms import country_choices
from crowdfund.money import Money

US, UK, EU, CN = (RULE_SETS[c] for c in ("US-REGCF", "UK-COBS", "EU-ECSPR", "CN-2014"))
#: Every country a person can choose as where they live (the forms' list).
COUNTRIES = sorted(code for code, _name in country_choices("en"))


def money(major, currency: str) -> Money:
    return Money.from_decimal(str(major), currency)


def declared(income, worth, currency="USD", **extra) -> Declared:
    return Declared(money(income, currency), money(worth, currency), **extra)


# --- United States: 17 CFR 227.100(a)(2) --------------------------------------------------

def test_reg_cf_the_secs_own_examples():
    """The SEC's investor bulletin: income $60,000 and net worth $30,000 may invest $3,000
    (5% of $60,000); income $200,000 and net worth $1,500,000 reaches the $124,000 cap."""
    today = date(2026, 12, 7)
    assert annual_limit(US, declared(60_000, 30_000), today) == money(3_000, "USD")
    assert annual_limit(US, declared(200_000, 1_500_000), today) == money(124_000, "USD")
    assert annual_limit(US, declared(150_000, 80_000), today) == money(7_500, "USD")


def test_reg_cf_thresholds_follow_the_inflation_adjustment_in_force_that_day():
    """Before 20 September 2022 the amounts were $107,000 / $2,200 (Release 33-10884)."""
    before, after = date(2022, 9, 19), date(2022, 9, 20)
    assert regcf_thresholds(before).threshold_minor == 107_000_00
    assert regcf_thresholds(after).threshold_minor == 124_000_00
    assert annual_limit(US, declared(20_000, 10_000), before) == money(2_200, "USD")
    assert annual_limit(US, declared(20_000, 10_000), after) == money(2_500, "USD")
    assert annual_limit(US, declared(5_000_000, 2_000_000), before) == money(107_000, "USD")
    assert [t.effective for t in REGCF_THRESHOLDS] == sorted(t.effective
                                                              for t in REGCF_THRESHOLDS)


def test_the_arithmetic_is_shown_step_by_step(app):
    with app.test_request_context():
        limit = limit_for(US, declared(60_000, 30_000), money(500, "USD"), date(2026, 12, 7))
        steps = [str(step) for step in limit.arithmetic]
    assert steps[1] == ("Your income or your net worth is under $124,000.00: the greater of "
                        "$2,500.00 and 5% of $60,000.00 ($3,000.00).")
    assert steps[-1] == "Less $500.00 committed in the last 12 months: $2,500.00."


# --- United Kingdom: FCA COBS 4.12A ------------------------------------------------------

def test_uk_restricted_investors_invest_at_most_ten_percent_of_net_assets():
    assert annual_limit(UK, declared(90_000, 45_000, "GBP")) == money(4_500, "GBP")
    assert annual_limit(UK, declared(0, 0, "GBP", accredited=True)) is None  # HNW/sophisticated


# --- European Union: Regulation (EU) 2020/1503 -------------------------------------------

def test_eu_warning_above_the_higher_of_1000_euros_or_5_percent_of_net_worth():
    """Article 21(7): EUR 1,200 from a person with EUR 20,000 net worth (5% = EUR 1,000)
    asks the warning; EUR 1,000 does not; with EUR 100,000 the line is EUR 5,000."""
    assert needs_warning(EU, money(1_200, "EUR"), money(20_000, "EUR"))
    assert not needs_warning(EU, money(1_000, "EUR"), money(20_000, "EUR"))
    assert not needs_warning(EU, money(5_000, "EUR"), money(100_000, "EUR"))
    assert needs_warning(EU, money("5000.01", "EUR"), money(100_000, "EUR"))
    assert loss_capacity(EU, money(20_000, "EUR")) == money(2_000, "EUR")  # Article 21(5)
    assert (EU.reflection_days, EU.offering_cap_minor) == (4, 5_000_000_00)  # Art. 22, 1(2)


# --- China: the 2014 draft rules for private equity crowdfunding --------------------------

@pytest.mark.parametrize(("income", "assets", "qualified"), [
    (500_000, 0, True),  # average income CNY 500,000 over three years
    (499_999, 2_999_999, False),
    (0, 3_000_000, True),  # financial assets CNY 3,000,000
])
def test_china_qualified_investors(app, income, assets, qualified):
    with app.test_request_context():
        limit = limit_for(CN, declared(income, 0, "CNY", financial_assets=money(assets, "CNY")),
                          money(0, "CNY"))
    if qualified:
        assert limit.minimum is None and limit.allows(money(1, "CNY"))
    else:  # only a single investment of CNY 1,000,000 or more makes them qualified for it
        assert limit.minimum == money(1_000_000, "CNY")
        assert not limit.allows(money("999999.99", "CNY"))
        assert limit.allows(money(1_000_000, "CNY"))
    assert (CN.max_investors, CN.needs_verified_identity) == (200, True)


# --- no silent fallback ------------------------------------------------------------------

def test_each_rule_set_is_given_only_to_its_own_countries():
    by_rules: dict[str, set[str]] = {}
    for country, code in JURISDICTIONS.items():
        by_rules.setdefault(code, set()).add(country)
    assert by_rules == {"US-REGCF": {"US"}, "UK-COBS": {"GB"}, "CN-2014": {"CN"},
                        "EU-ECSPR": set(EU_MEMBERS)}
    assert len(EU_MEMBERS) == 27 and "GB" not in EU_MEMBERS


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_country_gets_its_own_rules_or_a_refusal(app, country):
    with app.test_request_context():
        try:
            rules = rules_for(country)
        except NotOpen as exc:
            assert "Investing is not yet open to residents of" in exc.message
            assert Locale("en").territories[country] in exc.message
            assert JURISDICTIONS.get(country) is None
        else:
            assert JURISDICTIONS[country] == rules.code and rules.open


def test_a_jurisdiction_without_rules_of_its_own_is_refused_not_given_the_us_ones(app):
    with app.test_request_context():
        for country, name in (("CH", "Switzerland"), ("BR", "Brazil"), ("HK", "Hong Kong"),
                              ("JP", "Japan")):
            with pytest.raises(NotOpen, match=f"not yet open to residents of {name}"):
                rules_for(country)
        assert rules_for("us") is US and rules_for("GB") is UK and rules_for("CN") is CN
        assert rules_for("FR") is EU and rules_for("DE") is EU
