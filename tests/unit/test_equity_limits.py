"""Investment limits: each branch of US Reg CF at its boundaries, and the UK rule set."""

import pytest

from crowdfund.equity.limits import RULE_SETS, Declared, annual_limit, limit_for
from crowdfund.money import Money

US, UK = RULE_SETS["US-REGCF"], RULE_SETS["UK-COBS"]


def usd(major):
    return Money.from_decimal(str(major), "USD")


def declared(income, worth, accredited=False, currency="USD"):
    return Declared(Money.from_decimal(str(income), currency),
                    Money.from_decimal(str(worth), currency), accredited)


@pytest.mark.parametrize(("income", "worth", "limit"), [
    (0, 0, "2500"),  # the $2,500 floor
    (30_000, 20_000, "2500"),  # 5% of 30,000 = 1,500: the floor wins
    (50_000, 10_000, "2500"),  # 5% of 50,000 = 2,500 exactly
    (60_000, 10_000, "3000"),  # 5% of the greater
    (123_999.99, 500_000, "25000"),  # income under the threshold: 5% of the greater
    (500_000, 123_999.99, "25000"),  # net worth under the threshold
    (124_000, 124_000, "12400"),  # both at the threshold: 10%
    (124_000, 80_000, "6200"),  # one under: 5% of 124,000
    (200_000, 150_000, "20000"),  # both above: 10% of the greater
    (1_240_000, 124_000, "124000"),  # 10% reaches the cap exactly
    (5_000_000, 2_000_000, "124000"),  # never more than $124,000
    (2_480_000, 100_000, "124000"),  # lower tier: 5% of 2,480,000 = 124,000
    (3_000_000, 100_000, "124000"),  # lower tier capped too
])
def test_us_regcf_limits(income, worth, limit):
    assert annual_limit(US, declared(income, worth)) == usd(limit)


def test_accredited_investors_have_no_limit():
    limit = limit_for(US, declared(0, 0, accredited=True), usd(1_000_000))
    assert limit.annual_limit is None and limit.allows(usd(10_000_000))
    assert "no investment limit" in limit.explain()


def test_commitments_count_against_the_limit_and_the_refusal_says_so():
    limit = limit_for(US, declared(40_000, 30_000), usd(1_900))
    assert limit.available == usd(600)
    assert limit.allows(usd(600)) and not limit.allows(usd("600.01"))
    assert limit.refusal(usd(700)) == (
        "$700.00 is more than you can invest now. Your limit for the next 12 months is "
        "$2,500.00; you have $1,900.00 committed; you can invest up to $600.00.")
    assert limit_for(US, declared(40_000, 30_000), usd(3_000)).available == usd(0)


def test_uk_restricted_investor_ten_percent_of_net_assets():
    gbp = declared(90_000, 45_000, currency="GBP")
    assert annual_limit(UK, gbp) == Money.from_decimal("4500", "GBP")
    assert annual_limit(UK, declared(90_000, 0, currency="GBP")) == Money(0, "GBP")
    assert annual_limit(UK, declared(0, 0, accredited=True, currency="GBP")) is None


def test_bad_declarations():
    with pytest.raises(ValueError, match="USD"):
        annual_limit(US, declared(1, 1, currency="GBP"))
    with pytest.raises(ValueError, match="negative"):
        annual_limit(US, Declared(usd(-1), usd(0)))
