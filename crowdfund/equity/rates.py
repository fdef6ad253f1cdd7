"""Exchange rates kept as dated data (docs/exchange-rates.md): the rate that applies on a
day, and amounts converted with it.

A stored rate applies from its day until the pair's next one. On a day with no rate, or
whose latest rate is older than EXCHANGE_RATE_MAX_AGE_DAYS, the rate is missing and
:class:`MissingRate` refuses: a missing rate never counts as zero. A pair stored the other
way round (EUR -> USD asked as USD -> EUR) is used inverted (``Rate.inverted``): 1 USD =
1 / rate EUR. Conversions are exact (fractions of the stored decimals, no float) and round
toward zero to a whole minor unit of the target currency, whatever its exponent (JPY 0,
USD 2). Loading rates: ``equity/rate_loading.py``. Services never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa
from flask import current_app
from flask_babel import LazyString

from crowdfund.db import utcnow
from crowdfund.equity.rate_models import ExchangeRate, ExchangeRateLoad
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import date_filter
from crowdfund.i18n import _
from crowdfund.money import Money, MoneyError, exponent

#: The rate setting's value when the configuration has none.
DEFAULT_MAX_AGE_DAYS = 7


@dataclass(frozen=True)
class Rate:
    """What converts ``base`` amounts into ``quote``: 1 ``base`` = ``value`` ``quote``, or
    1 / ``value`` when ``inverted`` (the stored rate is quote -> base). Kept with a
    commitment, ``rate_id``, ``value``, ``inverted`` and ``effective_on`` say exactly which
    number converted it. Same currency: ``value`` 1, no ``rate_id``."""

    base: str
    quote: str
    value: Decimal
    #: The day the stored rate applies from (the day asked, for the same currency).
    effective_on: date
    source: str = ""
    rate_id: int | None = None
    inverted: bool = False

    @property
    def factor(self) -> Fraction:
        """Quote units per base unit, exactly."""
        exact = Fraction(self.value)
        return 1 / exact if self.inverted else exact

    def apply(self, money: Money) -> Money:
        """``money`` (in ``base``) in ``quote``, rounded toward zero to a whole minor unit."""
        if money.currency != self.base:
            raise MoneyError(f"a {self.base} rate cannot convert {money.currency}")
        scale = Fraction(10) ** (exponent(self.quote) - exponent(self.base))
        return Money(int(Fraction(money.amount) * self.factor * scale), self.quote)


class MissingRate(DomainError):
    """No usable rate from ``base`` to ``quote`` on ``day``: none stored on or before it,
    or the latest (``latest``, its day) older than EXCHANGE_RATE_MAX_AGE_DAYS. Whatever
    needed the conversion is refused until operators load one."""

    def __init__(self, base: str, quote: str, day: date, latest: date | None = None) -> None:
        self.base, self.quote, self.day, self.latest = base, quote, day, latest
        # Lazy: in the reader's language (and date format) when it is shown.
        super().__init__(LazyString(self._text))

    def _text(self) -> str:
        if self.latest is None:
            return _("There is no exchange rate from %(base)s to %(quote)s for %(day)s yet: "
                     "investing in this offering is closed until operators load one.",
                     base=self.base, quote=self.quote, day=date_filter(self.day))
        return _("The latest exchange rate from %(base)s to %(quote)s is of %(latest)s, too "
                 "old for %(day)s: investing in this offering is closed until operators load "
                 "a newer one.", base=self.base, quote=self.quote,
                 latest=date_filter(self.latest), day=date_filter(self.day))


def max_age_days() -> int:
    """EXCHANGE_RATE_MAX_AGE_DAYS: a rate older than this on the day asked is missing."""
    return int(current_app.config.get("EXCHANGE_RATE_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS))


def _latest(base: str, quote: str, day: date) -> ExchangeRate | None:
    return db.session.scalar(
        sa.select(ExchangeRate)
        .where(ExchangeRate.base == base, ExchangeRate.quote == quote,
               ExchangeRate.effective_on <= day)
        .order_by(ExchangeRate.effective_on.desc()).limit(1))


def rate_on(base: str, quote: str, day: date) -> Rate:
    """The rate from ``base`` to ``quote`` on ``day``: the latest stored on or before it
    (either way round; the more recent of the two, the direct one on a tie), 1 for the same
    currency. Raises :class:`MissingRate` when there is none, or when it is older than
    EXCHANGE_RATE_MAX_AGE_DAYS on ``day``; ``MoneyError`` for a currency we do not know."""
    exponent(base), exponent(quote)
    if base == quote:
        return Rate(base, quote, Decimal(1), day)
    direct, inverse = _latest(base, quote, day), _latest(quote, base, day)
    found = direct
    if inverse is not None and (direct is None or inverse.effective_on > direct.effective_on):
        found = inverse
    if found is None:
        raise MissingRate(base, quote, day)
    if (day - found.effective_on).days > max_age_days():
        raise MissingRate(base, quote, day, latest=found.effective_on)
    return Rate(base, quote, found.value, found.effective_on, found.source, found.id,
                inverted=found is inverse)


def convert(money: Money, to_currency: str, day: date) -> tuple[Money, Rate]:
    """``money`` in ``to_currency`` at the rate of ``day`` (rounded toward zero to a whole
    minor unit), and that rate. Raises :class:`MissingRate`."""
    rate = rate_on(money.currency, to_currency, day)
    return rate.apply(money), rate


def committed_in(currency: str, amounts: Iterable[tuple[Money, date | Rate]]) -> Money:
    """The sum in ``currency`` of ``amounts``, each converted then added (each rounded as
    :func:`convert` rounds). An amount comes with the rate kept with its commitment (a
    :class:`Rate` from ``currency``'s side: base its currency, quote ``currency``), used
    as it is; or with the day it was committed, converted at that day's rate (a rate loaded
    later for an earlier day would count, so pass the kept rate where there is one).
    Amounts in ``currency`` are added as they are, whatever comes with them. Raises
    :class:`MissingRate` for the first day without a rate, ``MoneyError`` for a kept rate
    of another pair."""
    total = Money.zero(currency)
    found: dict[tuple[str, date], Rate] = {}
    for money, when in amounts:
        if money.currency == currency:
            total += money
            continue
        if isinstance(when, Rate):
            if when.quote != currency:
                raise MoneyError(f"a rate to {when.quote} cannot count in {currency}")
            rate = when
        else:
            key = (money.currency, when)
            if key not in found:
                found[key] = rate_on(money.currency, currency, when)
            rate = found[key]
        total += rate.apply(money)
    return total


@dataclass(frozen=True)
class InForce:
    """A pair's latest rate on a day, and whether it is too old to use (``stale``)."""

    rate: ExchangeRate
    stale: bool


def in_force(day: date | None = None) -> list[InForce]:
    """Each pair's latest rate on or before ``day`` (today, UTC), by pair."""
    day = day or utcnow().date()
    latest = (sa.select(ExchangeRate.base, ExchangeRate.quote,
                        sa.func.max(ExchangeRate.effective_on).label("day"))
              .where(ExchangeRate.effective_on <= day)
              .group_by(ExchangeRate.base, ExchangeRate.quote).subquery())
    rows = db.session.scalars(
        sa.select(ExchangeRate).join(latest, sa.and_(
            ExchangeRate.base == latest.c.base, ExchangeRate.quote == latest.c.quote,
            ExchangeRate.effective_on == latest.c.day))
        .order_by(ExchangeRate.base, ExchangeRate.quote)).all()
    oldest = max_age_days()
    return [InForce(row, (day - row.effective_on).days > oldest) for row in rows]


def history(limit: int = 200) -> list[ExchangeRate]:
    """The latest ``limit`` rates by day (newest first), with who loaded them."""
    return list(db.session.scalars(
        sa.select(ExchangeRate)
        .order_by(ExchangeRate.effective_on.desc(), ExchangeRate.base, ExchangeRate.quote)
        .limit(limit).options(sa.orm.joinedload(ExchangeRate.loaded_by))))


def loads(limit: int = 50) -> list[ExchangeRateLoad]:
    """The latest ``limit`` loadings of rates (newest first): who loaded what, and when."""
    return list(db.session.scalars(
        sa.select(ExchangeRateLoad).order_by(ExchangeRateLoad.id.desc()).limit(limit)
        .options(sa.orm.joinedload(ExchangeRateLoad.loaded_by))))
