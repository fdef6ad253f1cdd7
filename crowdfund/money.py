"""Money: integer minor units plus an ISO 4217 currency. Never floating point."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_name

#: Digits after the decimal point for each currency we accept (ISO 4217).
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "MXN": 2, "BRL": 2,
    "SGD": 2, "HKD": 2, "CNY": 2, "TWD": 2, "INR": 2, "JPY": 0, "KRW": 0,
}

#: The reader's locale when none is named (``crowdfund.i18n`` installs the request's or the
#: recipient's; outside an application: US English).
_reader_locale: list = [lambda: "en_US"]


def use_reader_locale(source) -> None:
    """Install the function that tells the current reader's locale (``crowdfund.i18n``)."""
    _reader_locale[0] = source


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


def exponent(currency: str) -> int:
    """Minor-unit exponent of ``currency``; unknown currencies are an error."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"Unknown currency {currency!r}.") from None


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency in integer minor units (cents, pence, yen)."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise MoneyError(f"Money amounts are integers of minor units, not {self.amount!r}.")
        exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str, currency: str) -> Money:
        """Convert a major-unit decimal ("25.50") to minor units, refusing sub-unit digits."""
        exp = exponent(currency)
        try:
            dec = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            raise MoneyError(f"{value!r} is not a number.") from None
        if not dec.is_finite():
            raise MoneyError(f"{value!r} is not a number.")
        scaled = dec.scaleb(exp)
        if scaled != scaled.to_integral_value():
            unit = "whole units" if exp == 0 else f"at most {exp} decimal places"
            raise MoneyError(f"{currency} amounts take {unit}.")
        return cls(int(scaled), currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units, exactly."""
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def percent_of(self, other: Money) -> int:
        """Whole percentage (rounded down) of ``other`` that this amount represents."""
        self._same(other)
        if other.amount <= 0:
            return 0
        return self.amount * 100 // other.amount

    def format(self, locale: str | None = None, *, whole: bool = False) -> str:
        """Localised text such as ``$1,250.00`` or ``US$1,250.00`` (``whole`` drops zero
        minor digits), in the reader's locale unless one is named."""
        return _format(self.amount, self.currency, locale or _reader_locale[0](), whole)

    def __str__(self) -> str:
        return self.format()


@lru_cache(maxsize=8192)
def _format(amount: int, currency: str, locale: str, whole: bool) -> str:
    """Babel's formatting, once per amount, currency and locale (it parses patterns and
    locale data on every call: 16% of a campaign page)."""
    value = Money(amount, currency).to_decimal()
    if whole and value == value.to_integral_value():
        return format_currency(value, currency, locale=locale, format="¤#,##0",
                               currency_digits=False)
    return format_currency(value, currency, locale=locale)


def currency_label(code: str, locale: str | None = None) -> str:
    """``USD — US Dollar`` (``USD — 美元``) for select boxes, in the reader's locale."""
    return f"{code} — {get_currency_name(code, locale=locale or _reader_locale[0]())}"
