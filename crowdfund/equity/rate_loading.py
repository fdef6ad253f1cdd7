"""Loading exchange rates (docs/exchange-rates.md#loading-rates): a CSV file
(``date,base,quote,rate`` and a header line) or one rate typed by hand, from the operators'
page or ``flask rates load``.

Every row is checked first (a date, two supported currencies, a rate above zero); any
problem refuses the whole load with each problem's line and field, and nothing is written.
A rate already loaded with the same value is nothing new (loading a file twice changes
nothing); another value for a pair and day already loaded is refused: a loaded rate never
changes. Two loads of the same rates at once each write it at most once (the unique pair
and day, ``ON CONFLICT DO NOTHING``). Each load is recorded (``ExchangeRateLoad``): who,
when, the source, the file, what it added. Services never commit.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import LazyString

from crowdfund.auth.models import User
from crowdfund.db import dialect_insert, utcnow
from crowdfund.equity.rate_models import ExchangeRate, ExchangeRateLoad
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, _l, ngettext, number
from crowdfund.money import CURRENCY_EXPONENTS

#: The columns a file names on its first line (in any order; others are left alone).
COLUMNS = ("date", "base", "quote", "rate")
#: The most rates one file may hold.
MAX_ROWS = 10_000
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: At most 10 digits before the point and 10 after (what the rate's text keeps).
_RATE = re.compile(r"\d{1,10}(?:\.\d{1,10})?")


@dataclass(frozen=True)
class RateRow:
    """A rate as a file or a form gives it, not checked yet; ``line``: its line in the
    file (None: typed by hand)."""

    line: int | None
    day: str
    base: str
    quote: str
    rate: str


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be loaded: its line (None: typed by hand, or the whole file) and
    the field it is about (``date``, ``base``, ``quote``, ``rate``, or ``file``)."""

    line: int | None
    field: str
    message: object  # a text, or a lazily translated one

    def __str__(self) -> str:
        if self.line is None:
            return str(self.message)
        # TRANSLATORS: a problem of a line of an exchange rates file ("Line 3: ...").
        return _("Line %(line)s: %(problem)s", line=self.line, problem=str(self.message))


class RatesRefused(DomainError):
    """Rates that cannot be loaded, each problem with its line and field: nothing was
    loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, COLUMNS.index(p.field)
                                                         if p.field in COLUMNS else -1))
        count = len(self.problems)
        super().__init__(LazyString(lambda: ngettext(
            "%(num)s problem in these rates; nothing was loaded.",
            "%(num)s problems in these rates; nothing was loaded.", count)), field="file")


@dataclass(frozen=True)
class Loaded:
    """What a load did: rates added, rates it held that were loaded already."""

    load: ExchangeRateLoad
    added: int
    unchanged: int


@dataclass(frozen=True)
class _Checked:
    line: int | None
    base: str
    quote: str
    value: Decimal
    day: date

    @property
    def key(self) -> tuple[str, str, date]:
        return self.base, self.quote, self.day


def _day(raw: str, today: date) -> tuple[date | None, object]:
    text = raw.strip()
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        return None, _l("Write the date as YYYY-MM-DD, such as 2026-12-07.")
    if day.year < 2000 or day > today + timedelta(days=1):
        return None, _l("The date must be from 2000 until tomorrow.")
    return day, None


def _currency(raw: str) -> tuple[str | None, object]:
    code = raw.strip().upper()
    if not code:
        return None, _l("Give the currency's ISO code, such as EUR.")
    if code not in CURRENCY_EXPONENTS:
        return None, _l("%(code)s is not a currency we support.", code=raw.strip()[:10])
    return code, None


def _rate(raw: str) -> tuple[Decimal | None, object]:
    text = raw.strip()
    if not _RATE.fullmatch(text):
        return None, _l("Write the rate as a decimal number such as 1.0834 (at most 10 "
                        "digits before the point and 10 after).")
    value = Decimal(text)
    if value <= 0:
        return None, _l("The rate must be more than zero.")
    return value, None


def _check(row: RateRow, today: date) -> tuple[_Checked | None, list[Problem]]:
    """The row's values, or its problems (each with its line and field)."""
    values = {"date": _day(row.day, today), "base": _currency(row.base),
              "quote": _currency(row.quote), "rate": _rate(row.rate)}
    problems = [Problem(row.line, name, message)
                for name, (_value, message) in values.items() if message is not None]
    base, quote = values["base"][0], values["quote"][0]
    if base is not None and base == quote:
        problems.append(Problem(row.line, "quote", _l("The two currencies are the same.")))
    if problems:
        return None, problems
    return _Checked(row.line, base, quote, values["rate"][0], values["date"][0]), []


def _existing(keys: set[tuple[str, str, date]]) -> dict[tuple[str, str, date], ExchangeRate]:
    """The stored rates of ``keys`` (one query over their pairs and days)."""
    if not keys:
        return {}
    days = [day for _b, _q, day in keys]
    rows = db.session.scalars(sa.select(ExchangeRate).where(
        ExchangeRate.base.in_({b for b, _q, _d in keys}),
        ExchangeRate.quote.in_({q for _b, q, _d in keys}),
        ExchangeRate.effective_on.between(min(days), max(days))))
    return {(r.base, r.quote, r.effective_on): r for r in rows
            if (r.base, r.quote, r.effective_on) in keys}


def _changed(row: _Checked, stored: ExchangeRate) -> Problem:
    return Problem(row.line, "rate", _l(
        "%(base)s to %(quote)s on %(day)s is loaded already, at %(rate)s: a loaded rate "
        "never changes.", base=row.base, quote=row.quote, day=row.day.isoformat(),
        rate=stored.rate))


def _sort_out(rows: Iterable[RateRow], today: date) -> tuple[list[_Checked], list[Problem]]:
    """Checked rows (each pair and day once), and the problems: rows that are wrong, and a
    pair and day given twice with two rates."""
    kept: dict[tuple[str, str, date], _Checked] = {}
    problems: list[Problem] = []
    for row in rows:
        checked, found = _check(row, today)
        problems += found
        if checked is None:
            continue
        first = kept.setdefault(checked.key, checked)
        if first.value != checked.value:
            problems.append(Problem(row.line, "rate", _l(
                "%(base)s to %(quote)s on %(day)s is given another rate on line %(first)s.",
                base=checked.base, quote=checked.quote, day=checked.day.isoformat(),
                first=first.line)))
    return list(kept.values()), problems


def load(rows: Iterable[RateRow], actor: User | None, source: str, *,
         file_name: str | None = None, problems: Iterable[Problem] = ()) -> Loaded:
    """Load ``rows`` (all or nothing) from ``source`` ("ECB reference rate"), by ``actor``
    (None: the command line). ``problems``: the file's own, found while reading it.
    Raises :class:`RatesRefused` with every problem; the caller rolls back then."""
    source = " ".join(source.split())
    if not source:
        raise DomainError(_("Say where the rates come from, such as ECB reference rate."),
                          field="source")
    checked, found = _sort_out(rows, utcnow().date())
    found = [*problems, *found]
    stored = _existing({row.key for row in checked})
    found += [_changed(row, stored[row.key]) for row in checked
              if row.key in stored and stored[row.key].value != row.value]
    if not found and not checked:
        found.append(Problem(None, "file", _l("There are no rates in it.")))
    if found:
        raise RatesRefused(found)
    record = ExchangeRateLoad(loaded_by_id=actor.id if actor else None, loaded_at=utcnow(),
                              source=source[:200],
                              file_name=file_name[:200] if file_name else None)
    db.session.add(record)
    db.session.flush()
    new = [row for row in checked if row.key not in stored]
    _insert(new, record)
    added = db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)
                              .where(ExchangeRate.load_id == record.id))
    if added < len(new):  # another load wrote some of them meanwhile: the same rates?
        others = _existing({row.key for row in new})
        late = [_changed(row, others[row.key]) for row in new
                if others[row.key].load_id != record.id and others[row.key].value != row.value]
        if late:
            raise RatesRefused(late)
    record.added, record.unchanged = added, len(checked) - added
    return Loaded(record, record.added, record.unchanged)


def _text(value: Decimal) -> str:
    """A rate as stored: plain digits, no trailing zeros ("1.08", "150")."""
    return format(value.normalize(), "f")


def _insert(rows: list[_Checked], record: ExchangeRateLoad) -> None:
    """Each new rate once, whoever else writes it at the same time."""
    if not rows:
        return
    statement = dialect_insert(db.session, ExchangeRate).on_conflict_do_nothing(
        index_elements=["base", "quote", "effective_on"])
    # Executed for many rows (in batches a database takes), not one VALUES list of them all.
    db.session.execute(statement, [
        {"base": row.base, "quote": row.quote, "rate": _text(row.value),
         "effective_on": row.day, "source": record.source, "load_id": record.id,
         "loaded_by_id": record.loaded_by_id, "loaded_at": record.loaded_at}
        for row in rows])


def read_csv(data: bytes) -> tuple[list[RateRow], list[Problem]]:
    """The rows of a CSV file (a header line naming ``date``, ``base``, ``quote`` and
    ``rate``), each with its line, and the problems of the file's own shape."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(None, "file", _l("The file is not text in UTF-8: save it as "
                                             "CSV (UTF-8)."))]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[RateRow] = []
    problems: list[Problem] = []
    columns: dict[str, int] | None = None
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if columns is None:
                columns = _header(record, reader.line_num, problems)
                if columns is None:
                    break
            elif max(columns.values()) >= len(record):
                problems.append(Problem(reader.line_num, "file", _l(
                    "This line does not have the columns date, base, quote and rate.")))
            else:
                rows.append(RateRow(reader.line_num,
                                    *(record[columns[name]] for name in COLUMNS)))
            if len(rows) > MAX_ROWS:
                return [], [Problem(None, "file", _l(
                    "The file has more than %(max)s rates: split it.", max=number(MAX_ROWS)))]
    except csv.Error:
        problems.append(Problem(reader.line_num, "file", _l("This line cannot be read as CSV.")))
    if columns is None and not problems:
        problems.append(Problem(None, "file", _l("The file is empty.")))
    return rows, problems


def _header(record: list[str], line: int, problems: list[Problem]) -> dict[str, int] | None:
    """Where each column is, from the header line (None, with a problem, when one is
    missing)."""
    names = [cell.strip().lower() for cell in record]
    if not set(COLUMNS) <= set(names):
        problems.append(Problem(line, "file", _l(
            "The first line must name the columns: date, base, quote, rate.")))
        return None
    return {name: names.index(name) for name in COLUMNS}
