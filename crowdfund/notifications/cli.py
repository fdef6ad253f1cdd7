"""``flask outbox send [--watch]``: deliver queued email through SMTP."""

from __future__ import annotations

import click
from flask import Blueprint, current_app

from crowdfund.notifications.outbox import deliver_due
from crowdfund.supervision import watch_loop

bp = Blueprint("outbox", __name__, cli_group="outbox")


@bp.cli.command("send")
@click.option("--watch", is_flag=True, help="Keep sending, every --interval seconds.")
@click.option("--interval", default=10, show_default=True, type=click.IntRange(1, 3600))
def send(watch: bool, interval: int) -> None:
    """Send the email waiting in the outbox (SMTP_HOST, SMTP_PORT, ...)."""
    if not current_app.config.get("SMTP_HOST"):
        click.echo("SMTP_HOST is not set: messages stay in the outbox (see /operators/outbox).")
        if not watch:
            return
    def one_pass() -> None:
        report = deliver_due()
        if report.sent or report.failed or report.given_up:
            click.echo(f"sent: {report.sent}, failed (will retry): {report.failed}, "
                       f"given up: {report.given_up}")

    if watch:
        watch_loop(one_pass, interval, "outbox")
    one_pass()
