"""Exchange rates kept as dated data, and the record of who loaded them
(docs/exchange-rates.md). Kept apart from ``equity/models.py`` (the offering's terms), which
they would take near the 400-line limit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.db import UTCDateTime, utcnow
from crowdfund.extensions import db


class ExchangeRateLoad(db.Model):
    """One loading of exchange rates (a file, or a rate typed by hand): who, when, from
    what source, and what it changed. The audit of the rates."""

    __tablename__ = "exchange_rate_loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The operator who loaded them; None: the command line (``flask rates load``).
    loaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(200))
    #: The file's name as uploaded or given; None for a rate typed by hand.
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: Rates this load added, and rates it held that were loaded already (same value).
    added: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)

    loaded_by: Mapped[User | None] = relationship()


class ExchangeRate(db.Model):
    """One exchange rate: 1 ``base`` is worth ``rate`` ``quote`` from ``effective_on`` until
    the pair's next rate. A rate, once loaded, never changes: the same row again is nothing
    new, another value for the same pair and day is refused."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        sa.UniqueConstraint("base", "quote", "effective_on",
                            name="uq_exchange_rates_base_quote_effective_on"),
        sa.CheckConstraint("base <> quote", name="two_currencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ISO 4217 codes of ``crowdfund.money.CURRENCY_EXPONENTS``.
    base: Mapped[str] = mapped_column(sa.String(3))
    quote: Mapped[str] = mapped_column(sa.String(3))
    #: The exact decimal as text ("1.0834"; at most 10 digits each side of the point):
    #: never a float, and SQLite keeps a NUMERIC as one.
    rate: Mapped[str] = mapped_column(sa.String(24))
    #: The first day (a calendar day, as the source dates it) the rate applies to.
    effective_on: Mapped[date] = mapped_column(sa.Date)
    #: Where the number comes from ("ECB reference rate").
    source: Mapped[str] = mapped_column(sa.String(200))
    #: None: loaded from the command line.
    loaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    load_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_rate_loads.id"), index=True)

    loaded_by: Mapped[User | None] = relationship()
    load: Mapped[ExchangeRateLoad] = relationship()

    @property
    def value(self) -> Decimal:
        return Decimal(self.rate)
