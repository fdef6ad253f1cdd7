"""``flask campaigns ...``: the scheduled-launch job."""

from __future__ import annotations

import time

import click
from flask import current_app

from crowdfund.campaigns import bp, services
from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.supervision import isolated


def launch_due() -> list[str]:
    """Launch every approved campaign whose scheduled time has come, each in its own
    transaction: one that cannot launch is recorded and the others still do."""
    app = current_app._get_current_object()
    ids = [c.id for c in services.due_for_scheduled_launch()]
    db.session.commit()
    launched = []
    for campaign_id in ids:
        slug = isolated(app, "launch campaign", campaign_id, _launch_one, campaign_id)
        if slug:
            launched.append(slug)
    return launched


def _launch_one(campaign_id: int) -> str:
    campaign = db.session.get(Campaign, campaign_id)
    services.launch(campaign, None)
    db.session.commit()
    return campaign.slug


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
