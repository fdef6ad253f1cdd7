"""``flask rates load FILE.csv --source "..."`` and ``flask rates show [--on DATE]``:
exchange rates from the command line (docs/exchange-rates.md#loading-rates).

``load`` loads a CSV file (a header line naming ``date``, ``base``, ``quote`` and
``rate``) all or nothing: a bad file exits 1 with each problem's line, and nothing is
written; loading the same file again changes nothing. ``show`` lists each pair's rate in
force on a day (today, UTC), and says which are too old to use.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask import Blueprint, current_app

from crowdfund.db import utcnow
from crowdfund.equity import rates
from crowdfund.equity.rate_loading import RatesRefused, load, read_csv
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, in_language_of, ngettext

bp = Blueprint("rates", __name__, cli_group="rates")

DAY = click.DateTime(formats=["%Y-%m-%d"])


@bp.cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True,
              help='Where the rates come from, such as "ECB reference rate".')
def load_command(path: Path, source: str) -> None:
    """Load the exchange rates of PATH (CSV: date,base,quote,rate with a header line).
    All or nothing: exit 1 with each problem's line when any row is wrong."""
    with in_language_of(current_app.config["DEFAULT_LOCALE"]):  # a command has no reader
        rows, problems = read_csv(path.read_bytes())
        try:
            done = load(rows, None, source, file_name=path.name, problems=problems)
        except RatesRefused as exc:
            db.session.rollback()
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(exc.message, err=True)
            raise SystemExit(1) from None
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(ngettext("%(file)s: %(num)s rate added, %(unchanged)s loaded already.",
                            "%(file)s: %(num)s rates added, %(unchanged)s loaded already.",
                            done.added, file=path.name, unchanged=done.unchanged))


@bp.cli.command("show")
@click.option("--on", "on", type=DAY, help="The day (YYYY-MM-DD); default: today (UTC).")
def show_command(on: datetime | None) -> None:
    """Each pair's exchange rate in force on a day, its day and source; those too old to
    use are marked."""
    day: date = on.date() if on else utcnow().date()
    with in_language_of(current_app.config["DEFAULT_LOCALE"]):
        found = rates.in_force(day)
        db.session.rollback()
        if not found:
            click.echo(_("No exchange rate is in force on %(day)s.", day=day.isoformat()))
            return
        click.echo(ngettext("%(num)s exchange rate in force on %(day)s:",
                            "%(num)s exchange rates in force on %(day)s:", len(found),
                            day=day.isoformat()))
        for item in found:
            row = item.rate
            values = {"base": row.base, "rate": row.rate, "quote": row.quote,
                      "day": row.effective_on.isoformat(), "source": row.source}
            click.echo(_("1 %(base)s = %(rate)s %(quote)s since %(day)s (%(source)s): too "
                         "old, counts as missing", **values) if item.stale else
                       _("1 %(base)s = %(rate)s %(quote)s since %(day)s (%(source)s)",
                         **values))
