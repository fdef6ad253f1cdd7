"""``flask outbox send [--watch] [--senders N]``: deliver queued email through SMTP."""

from __future__ import annotations

import math

import click
from flask import Blueprint, current_app

from crowdfund.i18n import _, in_language_of
from crowdfund.notifications.delivery import deliver_due
from crowdfund.supervision import watch_loop

bp = Blueprint("outbox", __name__, cli_group="outbox")


@bp.cli.command("send")
@click.option("--watch", is_flag=True, help="Keep sending, every --interval seconds.")
@click.option("--interval", default=10, show_default=True, type=click.IntRange(1, 3600))
@click.option("--senders", type=click.IntRange(1, 64),
              help="Senders at once, each with its connection  [default: OUTBOX_SENDERS]")
def send(watch: bool, interval: int, senders: int | None) -> None:
    """Send the email waiting in the outbox (SMTP_HOST, SMTP_PORT, ...) until none is due.
    Safe beside other senders and the workers: each message is claimed by one."""
    if not current_app.config.get("SMTP_HOST"):
        with in_language_of(current_app.config["DEFAULT_LOCALE"]):  # a command has no reader
            click.echo(_("SMTP_HOST is not set: messages stay in the outbox (see %(url)s).",
                         url="/operators/outbox"))
        if not watch:
            return
    senders = senders or current_app.config["OUTBOX_SENDERS"]

    def one_pass() -> None:
        report = deliver_due(senders=senders, seconds=math.inf)
        if report.sent or report.failed or report.given_up:
            click.echo(report.describe())

    if watch:
        watch_loop(one_pass, interval, "outbox")
    one_pass()
