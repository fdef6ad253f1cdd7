"""``flask fulfilment erase``: the erase job by hand (the jobs pass runs it too), and
``flask fulfilment remind``: the invitations and reminders due now."""

from __future__ import annotations

import click
from flask import current_app

from crowdfund.extensions import db
from crowdfund.fulfilment import bp, erasing, reminders
from crowdfund.i18n import _, in_language_of


@bp.cli.command("erase")
@click.option("--batch", type=click.IntRange(1, 100_000), default=None,
              help="Surveys per committed batch (default FULFILMENT_ERASE_BATCH).")
def erase(batch: int | None) -> None:
    """Erase the shipping addresses and answers past their retention, a batch at a time
    (killed midway, run it again: it finishes)."""
    erased = erasing.erase_due(batch=batch)
    with in_language_of(current_app.config["DEFAULT_LOCALE"]):  # a command has no reader
        click.echo(_("surveys erased: %(count)s", count=erased))


@bp.cli.command("remind")
def remind() -> None:
    """Invite and remind the backers whose survey waits for them (the jobs pass does it)."""
    queued = reminders.invite_and_remind()
    db.session.commit()
    with in_language_of(current_app.config["DEFAULT_LOCALE"]):
        click.echo(_("survey emails queued: %(count)s", count=queued))
