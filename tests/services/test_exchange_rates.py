"""Exchange rates kept as dated data (docs/exchange-rates.md): the rate of a day is the
latest on or before it, a stale or absent one refuses (never zero), conversions are exact
and round down to a whole minor unit of each currency, and loading is all or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crowdfund.equity.rate_loading import MAX_ROWS, RateRow, RatesRefused, load, read_csv
from crowdfund.equity.rate_models import ExchangeRate, ExchangeRateLoad
from crowdfund.equity.rates import MissingRate, committed_in, convert, in_force, rate_on
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.money import Money, MoneyError
from tests.factories import make_user, race

NOV_1, NOV_5 = date(2026, 11, 1), date(2026, 11, 5)


def _rates(*rows: tuple[str, str, str, str], source: str = "ECB reference rate"):
    """Load rates (day, base, quote, rate) and commit."""
    done = load([RateRow(i + 2, *row) for i, row in enumerate(rows)], None, source)
    db.session.commit()
    return done


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_rate_of_a_day_is_the_latest_on_or_before_it(session):
    _rates(("2026-11-01", "EUR", "USD", "1.05"), ("2026-11-05", "EUR", "USD", "1.08"),
           ("2026-11-09", "EUR", "USD", "1.11"))
    assert rate_on("EUR", "USD", date(2026, 11, 7)).value == Decimal("1.08")
    assert rate_on("EUR", "USD", NOV_5).value == Decimal("1.08")
    assert rate_on("EUR", "USD", date(2026, 11, 4)).value == Decimal("1.05")
    rate = rate_on("EUR", "USD", date(2026, 11, 12))
    assert (rate.value, rate.effective_on, rate.source, rate.inverted) == (
        Decimal("1.11"), date(2026, 11, 9), "ECB reference rate", False)
    with pytest.raises(MissingRate, match="There is no exchange rate from EUR to USD for "
                                          "Oct 31, 2026 yet: investing in this offering is "
                                          "closed until operators load one."):
        rate_on("EUR", "USD", date(2026, 10, 31))


def test_a_rate_older_than_the_setting_counts_as_missing(session, app, monkeypatch):
    _rates(("2026-11-01", "EUR", "USD", "1.05"))
    assert rate_on("EUR", "USD", date(2026, 11, 8)).value == Decimal("1.05")  # 7 days old
    with pytest.raises(MissingRate, match="The latest exchange rate from EUR to USD is of Nov "
                                          "1, 2026, too old for Nov 9, 2026") as refused:
        rate_on("EUR", "USD", date(2026, 11, 9))
    assert (refused.value.latest, refused.value.day) == (NOV_1, date(2026, 11, 9))
    monkeypatch.setitem(app.config, "EXCHANGE_RATE_MAX_AGE_DAYS", 2)
    with pytest.raises(MissingRate, match="too old for Nov 4, 2026"):
        convert(Money(100, "EUR"), "USD", date(2026, 11, 4))


def test_a_missing_rate_is_never_zero(session):
    """No rate: the conversion refuses (a commitment converted to nothing would not count
    against the limit at all)."""
    with pytest.raises(MissingRate, match="from GBP to USD for Nov 5, 2026"):
        convert(Money(50_000, "GBP"), "USD", NOV_5)
    with pytest.raises(MissingRate, match="from CNY to USD"):
        committed_in("USD", [(Money(1_000, "USD"), NOV_5), (Money(7_000, "CNY"), NOV_5)])


def test_the_same_currency_is_one(session):
    money, rate = convert(Money(12_345, "JPY"), "JPY", NOV_5)
    assert money == Money(12_345, "JPY")
    assert (rate.value, rate.rate_id) == (Decimal(1), None)


def test_a_pair_stored_the_other_way_round_is_used_inverted(session):
    _rates(("2026-11-01", "EUR", "USD", "1.25"))
    money, rate = convert(Money(10_000, "USD"), "EUR", NOV_5)
    assert money == Money(8_000, "EUR")
    assert (rate.base, rate.quote, rate.value, rate.inverted) == ("USD", "EUR",
                                                                  Decimal("1.25"), True)
    # A newer rate stored the direct way wins over an older inverse one.
    _rates(("2026-11-04", "USD", "EUR", "0.81"))
    assert convert(Money(10_000, "USD"), "EUR", NOV_5)[0] == Money(8_100, "EUR")


@pytest.mark.parametrize(("amount", "pair", "rate", "expected"), [
    # Exact decimals: 0.29 * 100 is 28.999999999999996 in floating point.
    (Money(100, "EUR"), ("EUR", "USD"), "0.29", Money(29, "USD")),
    # Rounded down to a whole cent: 9.99 * 1.0834 = 10.823166.
    (Money(999, "EUR"), ("EUR", "USD"), "1.0834", Money(1_082, "USD")),
    # To yen (no minor unit): 12.34 * 162.37 = 2003.6458 yen.
    (Money(1_234, "EUR"), ("EUR", "JPY"), "162.37", Money(2_003, "JPY")),
    # From yen: 1,000 yen * 0.0066629 = 6.6629 dollars.
    (Money(1_000, "JPY"), ("JPY", "USD"), "0.0066629", Money(666, "USD")),
    # From won (no minor unit) to yen: 999 * 0.1099999999 = 109.8899999 yen.
    (Money(999, "KRW"), ("KRW", "JPY"), "0.1099999999", Money(109, "JPY")),
    # Ten digits after the point, a large amount: 10,000,000.00 * 1.0000000001.
    (Money(1_000_000_000, "GBP"), ("GBP", "USD"), "1.0000000001", Money(1_000_000_000, "USD")),
    (Money(10**13, "GBP"), ("GBP", "USD"), "1.0000000001", Money(10**13 + 1_000, "USD")),
])
def test_conversions_are_exact_and_round_down_per_currency(session, amount, pair, rate,
                                                           expected):
    _rates(("2026-11-01", *pair, rate))
    converted, used = convert(amount, pair[1], NOV_5)
    assert converted == expected
    assert used.value == Decimal(rate) and used.rate_id is not None


def test_committed_in_converts_each_amount_at_the_rate_of_its_day(session):
    _rates(("2026-11-01", "EUR", "USD", "1.10"), ("2026-11-05", "EUR", "USD", "1.20"),
           ("2026-11-01", "USD", "JPY", "150"))
    total = committed_in("USD", [
        (Money(10_000, "USD"), NOV_1),          # 100.00 as it is
        (Money(10_000, "EUR"), NOV_1),          # 110.00
        (Money(10_000, "EUR"), NOV_5),          # 120.00
        (Money(1_001, "EUR"), NOV_5),           # 12.012 -> 12.01
        (Money(15_000, "JPY"), NOV_5),          # 15,000 / 150 = 100.00 (inverted)
    ])
    assert total == Money(44_201, "USD")
    assert committed_in("GBP", []) == Money(0, "GBP")


def test_committed_in_uses_the_rate_kept_with_a_commitment(session):
    """A commitment converted at its day's rate keeps it: a rate loaded later for an
    earlier day does not move it."""
    _rates(("2026-11-01", "EUR", "USD", "1.10"))
    converted, kept = convert(Money(10_000, "EUR"), "USD", NOV_5)
    assert converted == Money(11_000, "USD")
    _rates(("2026-11-04", "EUR", "USD", "1.30"))
    assert committed_in("USD", [(Money(10_000, "EUR"), NOV_5)]) == Money(13_000, "USD")
    assert committed_in("USD", [(Money(10_000, "EUR"), kept),
                                (Money(500, "USD"), kept)]) == Money(11_500, "USD")
    with pytest.raises(MoneyError, match="a rate to USD cannot count in GBP"):
        committed_in("GBP", [(Money(10_000, "EUR"), kept)])
    with pytest.raises(MoneyError, match="a EUR rate cannot convert JPY"):
        committed_in("USD", [(Money(10_000, "JPY"), kept)])


def test_an_unknown_currency_is_an_error(session):
    with pytest.raises(MoneyError, match="Unknown currency 'XYZ'"):
        rate_on("XYZ", "USD", NOV_5)


# --- loading ---------------------------------------------------------------------------


def test_loading_the_same_rates_twice_changes_nothing(session):
    operator = make_user(operator=True)
    rows = [RateRow(2, "2026-11-01", "EUR", "USD", "1.0800"),
            RateRow(3, "2026-11-01", "EUR", "GBP", "0.85")]
    first = load(rows, operator, "ECB reference rate", file_name="ecb.csv")
    db.session.commit()
    assert (first.added, first.unchanged) == (2, 0)
    again = load([*rows, RateRow(4, "2026-11-02", "eur", "usd", "1.09")], None, "ECB")
    db.session.commit()
    assert (again.added, again.unchanged) == (1, 2)
    assert _count(ExchangeRate) == 3 and _count(ExchangeRateLoad) == 2
    stored = db.session.scalar(sa.select(ExchangeRate).where(ExchangeRate.quote == "USD",
                                                             ExchangeRate.effective_on == NOV_1))
    assert (stored.rate, stored.loaded_by_id, stored.source, stored.load.file_name) == (
        "1.08", operator.id, "ECB reference rate", "ecb.csv")
    assert [item.rate.rate for item in in_force(date(2026, 11, 3))] == ["0.85", "1.09"]


def test_a_bad_row_refuses_the_whole_load_with_each_line(session):
    _rates(("2026-11-01", "EUR", "USD", "1.08"))
    rows = [RateRow(2, "2026-11-02", "EUR", "USD", "1.09"),      # good
            RateRow(3, "02/11/2026", "EUR", "USD", "1.09"),      # date
            RateRow(4, "2026-11-02", "XYZ", "USD", "0"),         # base, rate
            RateRow(5, "2026-11-02", "EUR", "EUR", "1"),         # same currencies
            RateRow(6, "2026-11-01", "EUR", "USD", "1.10"),      # changes a loaded rate
            RateRow(7, "2026-11-03", "EUR", "GBP", "1e3"),       # not a plain decimal
            RateRow(8, "2026-11-02", "EUR", "USD", "1.0900001"),  # the file disagrees
            RateRow(9, "2099-01-01", "EUR", "USD", "1.1")]       # the future
    with pytest.raises(RatesRefused, match="8 problems in these rates; nothing was loaded."
                       ) as refused:
        load(rows, None, "ECB")
    db.session.rollback()
    assert [(p.line, p.field, str(p)) for p in refused.value.problems] == [
        (3, "date", "Line 3: Write the date as YYYY-MM-DD, such as 2026-12-07."),
        (4, "base", "Line 4: XYZ is not a currency we support."),
        (4, "rate", "Line 4: The rate must be more than zero."),
        (5, "quote", "Line 5: The two currencies are the same."),
        (6, "rate", "Line 6: EUR to USD on 2026-11-01 is loaded already, at 1.08: a loaded "
                    "rate never changes."),
        (7, "rate", "Line 7: Write the rate as a decimal number such as 1.0834 (at most 10 "
                    "digits before the point and 10 after)."),
        (8, "rate", "Line 8: EUR to USD on 2026-11-02 is given another rate on line 2."),
        (9, "date", "Line 9: The date must be from 2000 until tomorrow."),
    ]
    assert _count(ExchangeRate) == 1 and _count(ExchangeRateLoad) == 1


def test_a_load_needs_a_source_and_a_rate(session):
    with pytest.raises(DomainError, match="Say where the rates come from"):
        load([RateRow(2, "2026-11-01", "EUR", "USD", "1.08")], None, "   ")
    with pytest.raises(RatesRefused, match="1 problem in these rates") as refused:
        load([], None, "ECB")
    assert [str(p) for p in refused.value.problems] == ["There are no rates in it."]


def test_a_file_of_the_most_rates_loads_in_one_go(session):
    lines = [f"{date.fromordinal(date(2000, 1, 1).toordinal() + n // 2)},EUR,"
             f"{'USD' if n % 2 else 'GBP'},1.{n:05d}" for n in range(MAX_ROWS)]
    rows, problems = read_csv(("date,base,quote,rate\n" + "\n".join(lines)).encode())
    assert (len(rows), problems) == (MAX_ROWS, [])
    done = load(rows, None, "ECB")
    db.session.commit()
    assert (done.added, _count(ExchangeRate)) == (MAX_ROWS, MAX_ROWS)
    too_many = ("date,base,quote,rate\n" + "\n".join([*lines, lines[0]])).encode()
    assert [str(p) for p in read_csv(too_many)[1]] == [
        f"The file has more than {MAX_ROWS:,} rates: split it."]


def test_reading_a_csv_file():
    data = ("\ufeffRate, Quote ,base,DATE,note\n"
            "1.0834,USD,EUR,2026-11-05,first\n"
            "\n"
            "0.85,GBP,EUR,2026-11-05\n"
            "0.9\n").encode()
    rows, problems = read_csv(data)
    assert rows == [RateRow(2, "2026-11-05", "EUR", "USD", "1.0834"),
                    RateRow(4, "2026-11-05", "EUR", "GBP", "0.85")]
    assert [(p.line, p.field, str(p)) for p in problems] == [
        (5, "file", "Line 5: This line does not have the columns date, base, quote and rate.")]
    assert [str(p) for p in read_csv(b"day,from,to,rate\n2026-11-05,EUR,USD,1\n")[1]] == [
        "Line 1: The first line must name the columns: date, base, quote, rate."]
    assert [str(p) for p in read_csv("date,base,quote,rate\n2026-11-05,EUR,USD,1,café\n"
                                     .encode("latin-1"))[1]] == [
        "The file is not text in UTF-8: save it as CSV (UTF-8)."]
    assert [str(p) for p in read_csv(b"")[1]] == ["The file is empty."]


@pytest.mark.postgres_only
def test_two_loads_of_the_same_rates_at_once_write_each_once(app, session):
    """Both see no rate, both insert: the unique pair and day keeps one row of each, and
    neither load fails."""
    rows = [RateRow(n + 2, f"2026-11-{n + 1:02d}", "EUR", "USD", f"1.0{n}") for n in range(5)]
    outcomes = race(app, lambda: load(rows, None, "ECB"), lambda: load(rows, None, "ECB"))
    assert outcomes == ["ok", "ok"]
    db.session.rollback()
    assert _count(ExchangeRate) == 5
    added = db.session.scalars(sa.select(ExchangeRateLoad.added)
                               .order_by(ExchangeRateLoad.added)).all()
    unchanged = db.session.scalars(sa.select(ExchangeRateLoad.unchanged)
                                   .order_by(ExchangeRateLoad.unchanged)).all()
    assert sum(added) == 5 and sum(added) + sum(unchanged) == 10
