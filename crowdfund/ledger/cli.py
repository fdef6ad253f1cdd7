"""``flask ledger check``: the ledger balances and agrees with pledges and charges."""

from __future__ import annotations

import click
from flask import Blueprint, current_app

from crowdfund.extensions import db
from crowdfund.i18n import _, in_language_of
from crowdfund.ledger.services import check

bp = Blueprint("ledger", __name__, cli_group="ledger")


@bp.cli.command("check")
def check_command() -> None:
    """Exit 1 and list the problems if the ledger does not balance or disagrees."""
    problems = check()
    db.session.rollback()
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise SystemExit(1)
    with in_language_of(current_app.config["DEFAULT_LOCALE"]):  # a command has no reader
        click.echo(_("ledger OK: every transaction balances and matches the charges"))
