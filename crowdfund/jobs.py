"""``flask jobs run [--watch]``: the platform's periodic work in one loop.

Each pass launches approved campaigns whose scheduled time has come, cancels pending
pledges whose card was never confirmed (freeing their reward units) and cancels equity
commitments not reconfirmed within 5 business days of a material change, tells followers
of campaigns ending within 48 hours and asks backers whose saved card will not work at the
deadline to replace it (7 days and 48 hours before). Safe to run from cron
every minute, or as one long-lived ``--watch`` process (what ``make run`` starts).
"""

from __future__ import annotations

import time

import click
from flask import Blueprint

from crowdfund.campaigns.cli import launch_due
from crowdfund.extensions import db
from crowdfund.pledges.services import release_abandoned

bp = Blueprint("jobs", __name__, cli_group="jobs")


def run_once() -> dict[str, int]:
    """One pass; each job commits its own work."""
    from crowdfund.community.card_health import remind_card_health
    from crowdfund.community.following import notify_ending_soon
    from crowdfund.equity.changes import cancel_unconfirmed

    launched = launch_due()
    released = release_abandoned()
    db.session.commit()
    unconfirmed = cancel_unconfirmed()
    db.session.commit()
    ending = notify_ending_soon()
    db.session.commit()
    cards = remind_card_health()
    db.session.commit()
    return {"launched": len(launched), "released": released,
            "cancelled (not reconfirmed)": unconfirmed, "told ending soon": ending,
            "asked to update a card": cards}


@bp.cli.command("run")
@click.option("--watch", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600))
def run(watch: bool, interval: int) -> None:
    """Run the periodic jobs once (or forever with --watch)."""
    while True:
        done = run_once()
        if any(done.values()):
            click.echo(", ".join(f"{k}: {v}" for k, v in done.items()))
        db.session.remove()
        if not watch:
            return
        time.sleep(interval)
