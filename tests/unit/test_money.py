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
    ("text", "currency"),
    [("0.001", "USD"), ("1.5", "JPY"), ("abc", "USD"), ("NaN", "USD"), ("Infinity", "EUR"),
     ("", "USD"), ("10", "XXX")],
)
def test_from_decimal_refuses(text, currency):
    with pytest.raises(MoneyError):
        Money.from_decimal(text, currency)


@pytest.mark.parametrize("amount", [1.5, 2.0, "3", True, None])
def test_amount_must_be_an_integer(amount):
    with pytest.raises(MoneyError):
        Money(amount, "USD")


def test_arithmetic_and_comparison():
    a, b = Money(1500, "USD"), Money(250, "USD")
    assert a + b == Money(1750, "USD")
    assert a - b == Money(1250, "USD")
    assert b < a and a >= b and not a <= b
    assert Money(2500, "USD").percent_of(Money(10_000, "USD")) == 25
    assert Money(1, "USD").percent_of(Money(0, "USD")) == 0


def test_currencies_do_not_mix():
    with pytest.raises(MoneyError):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(MoneyError):
        assert Money(1, "USD") < Money(1, "EUR")


def test_format():
    assert Money(125075, "USD").format() == "$1,250.75"
    assert Money(250000, "USD").format(whole=True) == "$2,500"
    assert Money(1000, "JPY").format() == "¥1,000"
    assert Money(199, "EUR").format("de_DE") == "1,99\xa0€"
    assert Money(125075, "USD").to_decimal() == Decimal("1250.75")
