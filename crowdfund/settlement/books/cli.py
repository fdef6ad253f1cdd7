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
        raise click.BadParameter("--since must come before --until.", param_hint="--since")
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
    click.echo(f"Reconciled {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC with the "
               f"gateway: {done.objects_read} objects in {done.requests} requests; "
               f"{done.differences_seen} differences seen ({done.differences_new} new); "
               f"{done.fees_corrected} processing fees corrected from the gateway's.")
    waiting = differences.open_differences()
    count = differences.open_count()
    db.session.rollback()
    for found in waiting:
        click.echo(f"\nOPEN #{found.id} {found.title} (first seen "
                   f"{found.first_seen_at:%Y-%m-%d %H:%M} UTC)\n"
                   f"  gateway: {found.gateway_object_id or '-'}  ours: {found.our_ref or '-'}\n"
                   f"  our books: {found.expected}\n  the gateway: {found.found}\n"
                   f"  what to do: {found.advice}", err=True)
    if count:
        where = current_app.config.get("PUBLIC_URL") or ""
        click.echo(f"\n{count} difference{'s' if count != 1 else ''} open: resolve each, "
                   f"with what you did, at {where}/operators/differences.", err=True)
        raise SystemExit(1)
    click.echo("No open difference: our books agree with the gateway's.")
