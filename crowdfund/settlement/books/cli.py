"""``flask ledger reconcile [--since DATE] [--until DATE]``: our books against the gateway's.

A command of the ledger's group (``flask ledger check`` compares the ledger with our own
rows; this compares both with the gateway). It exits 1 while any difference is open,
found now or before, so a monitor can run it daily: ``flask ledger reconcile || alert``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import current_app

from crowdfund.extensions import db
from crowdfund.i18n import _, in_language_of, ngettext
from crowdfund.ledger.cli import bp as ledger_bp
from crowdfund.payments import gateway
from crowdfund.settlement.books import differences, run

DAY = click.DateTime(formats=["%Y-%m-%d"])


def period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """Whole UTC days, ``--until`` included; without them the last GATEWAY_RECONCILE_DAYS."""
    default_from, now = run.default_period()
    end = until.replace(tzinfo=UTC) + timedelta(days=1) if until else now
    if since is None:
        start = end - (now - default_from)
    else:
        start = since.replace(tzinfo=UTC)
    if start >= end:
        raise click.BadParameter(_("--since must come before --until."), param_hint="--since")
    return start, end


@ledger_bp.cli.command("reconcile")
@click.option("--since", type=DAY, help="First day (UTC, YYYY-MM-DD); default: "
              "GATEWAY_RECONCILE_DAYS ago.")
@click.option("--until", type=DAY, help="Last day (UTC, included); default: up to now.")
def reconcile_command(since: datetime | None, until: datetime | None) -> None:
    """Compare the gateway's PaymentIntents, charges, refunds, transfers and balance
    transactions of the period with our charges, refunds, payouts and ledger; record
    each difference once and book the gateway's actual fees. Exit 1 while any difference
    is open (this run's or an earlier one's)."""
    start, end = period(since, until)
    done = run.reconcile(gateway(), start, end)
    with in_language_of(current_app.config["DEFAULT_LOCALE"]):  # a command has no reader
        click.echo(_("Reconciled %(start)s to %(end)s UTC with the gateway: %(objects)s "
                     "objects in %(requests)s requests; %(seen)s differences seen (%(new)s "
                     "new); %(fees)s processing fees corrected from the gateway's.",
                     start=f"{start:%Y-%m-%d %H:%M}", end=f"{end:%Y-%m-%d %H:%M}",
                     objects=done.objects_read, requests=done.requests,
                     seen=done.differences_seen, new=done.differences_new,
                     fees=done.fees_corrected))
        waiting = differences.open_differences()
        count = differences.open_count()
        db.session.rollback()
        for found in waiting:
            click.echo("\n" + _open_difference(found), err=True)
        if count:
            where = current_app.config.get("PUBLIC_URL") or ""
            click.echo("\n" + ngettext(
                "%(num)s difference open: resolve each, with what you did, at %(url)s.",
                "%(num)s differences open: resolve each, with what you did, at %(url)s.",
                count, url=f"{where}/operators/differences"), err=True)
            raise SystemExit(1)
        click.echo(_("No open difference: our books agree with the gateway's."))


def _open_difference(found) -> str:
    """One open difference as the command prints it, with what to do."""
    return _("OPEN #%(id)s %(title)s (first seen %(seen)s UTC)\n"
             "  gateway: %(gateway)s  ours: %(ours)s\n"
             "  our books: %(expected)s\n"
             "  the gateway: %(found)s\n"
             "  what to do: %(advice)s",
             id=found.id, title=found.title, seen=f"{found.first_seen_at:%Y-%m-%d %H:%M}",
             gateway=found.gateway_object_id or "-", ours=found.our_ref or "-",
             expected=found.expected, found=found.found, advice=found.advice)
