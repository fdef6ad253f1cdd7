import re
from decimal import Decimal

import pytest

from crowdfund.money import Money, MoneyError


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("25", "USD", 2500), ("25.5", "USD", 2550), ("0.01", "EUR", 1), ("1,250.75", "GBP", 125075),
     ("1000", "JPY", 1000), (Decimal("19.99"), "USD", 1999)],
)
def test_from_decimal(text, currency, minor):
    assert Money.from_decimal(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [("0.001", "USD", "USD amounts take at most 2 decimal places"),
     ("1.5", "JPY", "JPY amounts take whole units"), ("abc", "USD", "'abc' is not a number"),
     ("NaN", "USD", "'NaN' is not a number"), ("Infinity", "EUR", "'Infinity' is not a number"),
     ("", "USD", "'' is not a number"), ("10", "XXX", "Unknown currency 'XXX'")],
)
def test_from_decimal_refuses(text, currency, message):
    with pytest.raises(MoneyError, match=message):
        Money.from_decimal(text, currency)


@pytest.mark.parametrize("amount", [1.5, 2.0, "3", True, None])
def test_amount_must_be_an_integer(amount):
    with pytest.raises(MoneyError, match=f"Money amounts are integers of minor units, not "
                                         f"{re.escape(repr(amount))}"):
        Money(amount, "USD")


def test_arithmetic_and_comparison():
    a, b = Money(1500, "USD"), Money(250, "USD")
    assert a + b == Money(1750, "USD")
    assert a - b == Money(1250, "USD")
    assert b < a and a >= b and not a <= b
    assert Money(2500, "USD").percent_of(Money(10_000, "USD")) == 25
    assert Money(1, "USD").percent_of(Money(0, "USD")) == 0


def test_currencies_do_not_mix():
    with pytest.raises(MoneyError, match="cannot combine USD with EUR"):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(MoneyError, match="cannot combine USD with EUR"):
        assert Money(1, "USD") < Money(1, "EUR")


def test_format():
    assert Money(125075, "USD").format() == "$1,250.75"
    assert Money(250000, "USD").format(whole=True) == "$2,500"
    assert Money(1000, "JPY").format() == "¥1,000"
    assert Money(199, "EUR").format("de_DE") == "1,99\xa0€"
    assert Money(125075, "USD").to_decimal() == Decimal("1250.75")
