"""``flask jobs run [--watch]``: the platform's periodic work in one loop.

Each pass launches approved campaigns whose scheduled time has come, cancels pending
pledges whose card was never confirmed (freeing their reward units) and cancels equity
commitments not reconfirmed within 5 business days of a material change, tells followers
of campaigns ending within 48 hours and asks backers whose saved card will not work at the
deadline to replace it (7 days and 48 hours before), and forgets sessions ended long ago.
One job that raises is recorded and the others still run. Safe to run from cron
every minute, or as one long-lived ``--watch`` process (what ``make run`` starts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from flask import Blueprint, current_app

from crowdfund.auth.services import prune_sessions
from crowdfund.campaigns.cli import launch_due
from crowdfund.extensions import db
from crowdfund.pledges.services import release_abandoned
from crowdfund.supervision import FAILED, isolated, watch_loop

T = TypeVar("T")

bp = Blueprint("jobs", __name__, cli_group="jobs")


def _committed(fn: Callable[[], T]) -> T:
    result = fn()
    db.session.commit()
    return result


def run_once() -> dict[str, int]:
    """One pass; each job commits its own work, and one that raises is recorded (operators
    see it on the settlement console) without stopping the others."""
    from crowdfund.community.card_health import remind_card_health
    from crowdfund.community.following import notify_ending_soon
    from crowdfund.equity.changes import cancel_unconfirmed

    app = current_app._get_current_object()
    jobs = {"launched": lambda: len(launch_due()), "released": release_abandoned,
            "cancelled (not reconfirmed)": cancel_unconfirmed,
            "told ending soon": notify_ending_soon, "asked to update a card": remind_card_health,
            "old sessions forgotten": prune_sessions}
    done = {}
    for name, job in jobs.items():
        result = isolated(app, "jobs", name, _committed, job)
        done[name] = 0 if result is FAILED else result
    return done


@bp.cli.command("run")
@click.option("--watch", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600))
def run(watch: bool, interval: int) -> None:
    """Run the periodic jobs once (or forever with --watch)."""
    def one_pass() -> None:
        done = run_once()
        if any(done.values()):
            click.echo(", ".join(f"{k}: {v}" for k, v in done.items()))

    if watch:
        watch_loop(one_pass, interval, "jobs")
    one_pass()
