"""``flask settle``: settle every campaign that is due, safe from cron and in parallel."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Blueprint, current_app

from crowdfund.campaigns.models import Campaign
from crowdfund.extensions import db
from crowdfund.i18n import _, in_language_of
from crowdfund.payments import gateway
from crowdfund.settlement import plan as settlement_plan
from crowdfund.settlement.runner import Settler
from crowdfund.supervision import watch_loop

bp = Blueprint("settlement", __name__, cli_group=None)


@bp.cli.command("settle")
@click.option("--campaign", "slug", help="Only this campaign (its slug).")
@click.option("--dry-run", is_flag=True, help="Print what would happen; write nothing.")
@click.option("--watch", is_flag=True, help="Keep settling, every --interval seconds.")
@click.option("--interval", default=60, show_default=True, type=click.IntRange(1, 3600))
def settle(slug: str | None, dry_run: bool, watch: bool, interval: int) -> None:
    """Settle campaigns past their deadline: funded ones charge each pledge once, failed
    ones charge nobody. Then (without --campaign) send pending refunds, remind backers whose
    payment failed, make final retries and drop unpaid pledges, settle campaigns whose
    collection window closed, pay due payouts by Connect, and send the outbox.
    Safe to run every minute and from several processes at once."""
    app = current_app._get_current_object()
    if slug:
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
        if campaign is None:
            with in_language_of(app.config["DEFAULT_LOCALE"]):  # a command has no reader
                raise click.ClickException(_("No campaign '%(slug)s'.", slug=slug))
        ids = [campaign.id]
    if dry_run:
        for campaign_id in ids if slug else settlement_plan.due_campaign_ids():
            click.echo(settlement_plan.plan(db.session.get(Campaign, campaign_id)).describe())
        db.session.rollback()
        return
    # End this session's read transaction: the settler works in sessions of its own, and
    # on SQLite an open transaction here would hold the write lock they need.
    db.session.commit()
    settler = Settler(app, gateway())

    def one_pass() -> None:
        if slug:
            reports, done = [settler.settle(ids[0])], {}
        else:
            reports, done = settler.run_once()
        for report in reports:
            click.echo(report.describe())
        if any(done.values()):
            click.echo(", ".join(f"{k}: {v}" for k, v in done.items() if v))

    if watch:
        watch_loop(one_pass, interval, "settle")
    one_pass()
