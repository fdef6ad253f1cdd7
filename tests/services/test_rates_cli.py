"""``flask rates load`` and ``flask rates show``: a good file loads, a bad one exits 1 with
its line numbers and writes nothing, the same file twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.equity.rate_models import ExchangeRate, ExchangeRateLoad
from crowdfund.extensions import db

GOOD = ("date,base,quote,rate\n"
        "2026-11-02,EUR,USD,1.0834\n"
        "2026-11-02,EUR,GBP,0.8512\n"
        "2026-11-03,EUR,USD,1.0851\n")
BAD = ("date,base,quote,rate\n"
       "2026-11-02,EUR,USD,1.0834\n"
       "2026-11-02,EUR,ABC,0.8512\n"
       "2026-11-03,EUR,USD,-1\n")


def _counts(session) -> tuple[int, int]:
    session.rollback()  # see what the command committed
    return (session.scalar(sa.select(sa.func.count()).select_from(ExchangeRate)),
            session.scalar(sa.select(sa.func.count()).select_from(ExchangeRateLoad)))


def _load(app, path, source="ECB reference rate"):
    return app.test_cli_runner().invoke(
        args=["rates", "load", str(path), "--source", source])


def test_a_good_file_loads_and_loading_it_again_changes_nothing(app, session, tmp_path):
    path = tmp_path / "ecb-2026-11.csv"
    path.write_text(GOOD)
    first = _load(app, path)
    assert first.exit_code == 0, first.output
    assert first.output == "ecb-2026-11.csv: 3 rates added, 0 loaded already.\n"
    assert _counts(session) == (3, 1)
    again = _load(app, path)
    assert again.exit_code == 0
    assert again.output == "ecb-2026-11.csv: 0 rates added, 3 loaded already.\n"
    assert _counts(session) == (3, 2)
    stored = db.session.scalars(sa.select(ExchangeRate).order_by(ExchangeRate.id)).all()
    assert [(r.base, r.quote, r.rate, r.source, r.loaded_by_id) for r in stored] == [
        ("EUR", "USD", "1.0834", "ECB reference rate", None),
        ("EUR", "GBP", "0.8512", "ECB reference rate", None),
        ("EUR", "USD", "1.0851", "ECB reference rate", None)]


def test_a_bad_file_exits_1_with_its_lines_and_writes_nothing(app, session, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    result = _load(app, path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("Line 3: ABC is not a currency we support.\n"
                             "Line 4: Write the rate as a decimal number such as 1.0834 (at "
                             "most 10 digits before the point and 10 after).\n"
                             "2 problems in these rates; nothing was loaded.\n")
    assert _counts(session) == (0, 0)


def test_a_file_without_its_header_or_a_source_is_refused(app, session, tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_text("2026-11-02,EUR,USD,1.0834\n")
    result = _load(app, path)
    assert result.exit_code == 1
    assert "Line 1: The first line must name the columns: date, base, quote, rate." in \
        result.stderr
    path.write_text(GOOD)
    blank = _load(app, path, source=" ")
    assert blank.exit_code == 1
    assert "Say where the rates come from" in blank.stderr
    assert _counts(session) == (0, 0)


def test_show_lists_the_rates_in_force_on_a_day(app, session, tmp_path):
    path = tmp_path / "ecb.csv"
    path.write_text(GOOD)
    assert _load(app, path).exit_code == 0
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["rates", "show", "--on", "2026-11-02"])
    assert shown.exit_code == 0
    assert shown.output == ("2 exchange rates in force on 2026-11-02:\n"
                            "1 EUR = 0.8512 GBP since 2026-11-02 (ECB reference rate)\n"
                            "1 EUR = 1.0834 USD since 2026-11-02 (ECB reference rate)\n")
    later = runner.invoke(args=["rates", "show", "--on", "2026-11-20"]).output
    assert "1 EUR = 1.0851 USD since 2026-11-03 (ECB reference rate): too old, counts as " \
           "missing" in later
    assert runner.invoke(args=["rates", "show", "--on", "2026-11-01"]).output == \
        "No exchange rate is in force on 2026-11-01.\n"
