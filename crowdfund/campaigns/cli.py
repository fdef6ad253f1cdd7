"""``flask campaigns ...``: the scheduled-launch job."""

from __future__ import annotations

import time

import click
from flask import current_app

from crowdfund.campaigns import bp, services
from crowdfund.extensions import db


def launch_due() -> list[str]:
    """Launch every approved campaign whose scheduled time has come; one commit."""
    launched = []
    for campaign in services.due_for_scheduled_launch():
        services.launch(campaign, None)
        launched.append(campaign.slug)
    db.session.commit()
    return launched


@bp.cli.command("launch-scheduled")
@click.option("--watch", is_flag=True, help="Keep running, checking every --interval seconds.")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600))
def launch_scheduled(watch: bool, interval: int) -> None:
    """Launch approved campaigns whose scheduled launch time has passed."""
    while True:
        for slug in launch_due():
            click.echo(f"launched {slug}")
        if not watch:
            return
        db.session.remove()
        current_app.logger.debug("next scheduled-launch check in %s s", interval)
        time.sleep(interval)
