"""The platform's background work: what each job kind runs, the periodic passes, and
``flask jobs run [--watch]``, the embedded runner (``make run``: no broker needed).

On Celery (``crowdfund/tasks.py``) beat queues the periodic passes and workers run the
jobs; here one loop does both. The job functions are the same (``crowdfund.queue``).

The periodic passes:

- **settle pass**: look up charges whose outcome is unknown, queue the settlement of each
  due campaign (which queues its charges, and saved cards to detach, in batches), send
  refunds, remind backers whose payment failed, make final retries and drop unpaid
  pledges, settle campaigns whose collection window closed, pay due payouts;
- **jobs pass**: launch approved campaigns whose time has come, cancel pending pledges whose
  card was never confirmed, cancel equity commitments not reconfirmed in time, tell
  followers of campaigns ending soon, ask backers whose card will not work at the deadline
  for another, invite and remind backers whose survey waits (``fulfilment.reminders``),
  erase shipping addresses past their retention (``fulfilment.erasing``), forget old
  sessions and finished jobs;
- **send email**: the outbox, by several senders at once (``notifications.delivery``);
- **reconcile with gateway** (daily): the gateway's record of the last days against our
  books (``settlement.books``);
- **sweep**: hints for jobs whose message was lost (Celery only; the embedded loop finds
  due jobs itself).

One item that raises is recorded (the settlement console) and the others go on.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import click
from flask import Blueprint, Flask, current_app

from crowdfund import fleet, queue
from crowdfund.auth.identity import delete_expired_documents
from crowdfund.auth.services import prune_sessions
from crowdfund.campaigns.cli import launch_due
from crowdfund.community.card_health import remind_card_health
from crowdfund.community.following import notify_ending_soon
from crowdfund.equity.changes import cancel_unconfirmed
from crowdfund.extensions import db
from crowdfund.fleet import ProcessKind
from crowdfund.fulfilment.erasing import erase_due
from crowdfund.fulfilment.reminders import invite_and_remind
from crowdfund.hints import hints
from crowdfund.i18n import _, _l, in_language_of
from crowdfund.notifications import delivery
from crowdfund.payments import gateway
from crowdfund.pledges.services import release_abandoned
from crowdfund.settlement.books.run import RECONCILE, reconcile_pass
from crowdfund.settlement.detaching import DETACH_CARDS
from crowdfund.settlement.fan_out import CHARGE_BATCH, SEND_REFUNDS, SETTLE_CAMPAIGN
from crowdfund.settlement.runner import Settler
from crowdfund.supervision import FAILED, isolated, watch_loop

T = TypeVar("T")

bp = Blueprint("jobs", __name__, cli_group="jobs")

SETTLE_PASS, JOBS_PASS, SEND_EMAIL, SWEEP = "settle pass", "jobs pass", "send email", "sweep"
#: The periodic passes and the setting that says how often (seconds).
PERIODIC = {SETTLE_PASS: "SETTLE_INTERVAL_SECONDS", JOBS_PASS: "JOBS_INTERVAL_SECONDS",
            SEND_EMAIL: "OUTBOX_INTERVAL_SECONDS", SWEEP: "JOB_SWEEP_SECONDS",
            RECONCILE: "GATEWAY_RECONCILE_INTERVAL_SECONDS"}


#: The item loops of the settle pass (``supervision.isolated`` job names): an operator's
#: "retry" of one of their failed items runs the settle pass now.
SETTLE_LOOPS = ("settle campaign", "charge pledge", "send refund", "send payout",
                "reconcile charge", "look up refund", "look up transfer", "recovery",
                "settle after collection", "detach card",
                "cancel waiting payment", "payouts", "payment reminder", "outcome email")
#: The jobs pass's.
JOBS_LOOPS = ("jobs", "launch campaign", "cancel unconfirmed commitment",
              "ending soon notice", "card health reminder", "survey invitation",
              "survey reminder")


def _committed(fn: Callable[[], T]) -> T:
    result = fn()
    db.session.commit()
    return result


def run_once() -> dict[str, int]:
    """The jobs pass; each job commits its own work, and one that raises is recorded
    (operators see it on the settlement console) without stopping the others."""
    app = current_app._get_current_object()
    jobs = {"launched": lambda: len(launch_due()), "released": release_abandoned,
            "cancelled (not reconfirmed)": cancel_unconfirmed,
            "told ending soon": notify_ending_soon, "asked to update a card": remind_card_health,
            "old sessions forgotten": prune_sessions, "finished jobs forgotten": queue.prune,
            "identity documents deleted": delete_expired_documents,
            "survey emails queued": invite_and_remind, "addresses erased": erase_due,
            "old heartbeats forgotten": fleet.prune}
    done = {}
    for name, job in jobs.items():
        result = isolated(app, "jobs", name, _committed, job)
        done[name] = 0 if result is FAILED else result
    return done


def _settler() -> Settler:
    return Settler(current_app._get_current_object(), gateway())


def _settle_campaign(campaign_id: int) -> str:
    return _settler().settle(campaign_id, fan_out=True).describe()


def _describe(done: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in done.items() if v) or "nothing to do"


def register_jobs() -> None:
    """What each kind of job runs (the same functions for Celery and the embedded loop)."""
    queue.register(SETTLE_PASS, lambda: _describe(_settler().run_pass()), max_attempts=3,
                   covers=SETTLE_LOOPS)
    queue.register(JOBS_PASS, lambda: _describe(run_once()), max_attempts=3, covers=JOBS_LOOPS)
    queue.register(SEND_EMAIL, delivery.send_pass, max_attempts=3, covers=("send email",))
    queue.register(delivery.EMAIL_SENDER, delivery.send_as_job, max_attempts=3, routine=True)
    queue.register(SWEEP, lambda: f"hinted again: {queue.sweep()}", max_attempts=1)
    queue.register(RECONCILE, lambda: reconcile_pass(gateway()), max_attempts=3)
    queue.register(SETTLE_CAMPAIGN, _settle_campaign)
    queue.register(CHARGE_BATCH, lambda *args: _settler().charge_batch(*args))
    queue.register(DETACH_CARDS, lambda *args: _settler().detach_batch(*args))
    queue.register(SEND_REFUNDS, lambda campaign_id: _settler().send_refunds(campaign_id))


def queue_periodic(kind: str) -> queue.Job:
    """A periodic pass (at most one waiting per kind, however many beats or loops ask)."""
    return queue.enqueue(kind, key=kind)


class EmbeddedRunner:
    """One process runs everything: the periodic passes when due, and every due job."""

    def __init__(self, app: Flask, clock: Callable[[], float] = time.monotonic) -> None:
        self.app, self.clock = app, clock
        self.last: dict[str, float] = {}

    def tick(self) -> int:
        now = self.clock()
        with self.app.app_context():
            for kind, setting in PERIODIC.items():
                if kind != SWEEP and now - self.last.get(kind, -1e9) >= self.app.config[setting]:
                    queue_periodic(kind)
                    self.last[kind] = now
            db.session.commit()
        return queue.drain(self.app)


@bp.cli.command("run")
@click.option("--watch", is_flag=True, help="Keep running: due jobs every second, the "
              "periodic passes at their intervals.")
def run(watch: bool) -> None:
    """Run the periodic passes and every due job once (or for ever with --watch), in this
    process: the embedded runner, when no Celery broker is configured."""
    app = current_app._get_current_object()
    db.session.commit()
    runner = EmbeddedRunner(app)
    if watch:
        # Its heartbeat row, like a worker's: `flask jobs status` and the console read it.
        name = f"{socket.gethostname()}:{os.getpid()}"
        beating = fleet.Heartbeat(app, ProcessKind.EMBEDDED, name, fleet.running_jobs(f"{name}:"))
        beating.start()
        # Stopped by its supervisor (make run's Ctrl-C, systemd): a clean exit that says so.
        before = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            watch_loop(runner.tick, 1, "jobs")
        finally:
            signal.signal(signal.SIGTERM, before)
            beating.stop()
    done = runner.tick()
    with in_language_of(app.config["DEFAULT_LOCALE"]):  # a command has no reader
        # TRANSLATORS: the output of `flask jobs run`: how many jobs it ran.
        click.echo(_("jobs run: %(count)s", count=done))


@bp.cli.command("status")
def status() -> None:
    """The background processes (each worker and beat, or the embedded runner) with when
    each was last seen, and the jobs waiting, running and failed. Exits 1 when none of a
    kind is alive or a job has waited longer than JOB_WAIT_ALERT_SECONDS with no job
    started meanwhile (for a monitor: `flask jobs status || alert`)."""
    with in_language_of(current_app.config["DEFAULT_LOCALE"]):  # a command has no reader
        found = fleet.status()
        db.session.commit()
        problems = list(found.problems)
        _print_fleet(found)
        if not found.embedded:
            try:
                waiting = hints().waiting()
            except Exception as error:  # noqa: BLE001 - any failure means it does not answer
                problems.append(_("The broker does not answer (%(error)s).",
                                  error=type(error).__name__))
            else:
                click.echo(_("broker: %(count)s messages not yet taken", count=waiting))
        for problem in problems:
            click.echo(_("PROBLEM: %(problem)s", problem=problem), err=True)
        if problems:
            raise SystemExit(1)
        click.echo(_("OK"))


#: The heading of each kind of process in `flask jobs status`.
_HEADINGS = {ProcessKind.WORKER: _l("workers:"), ProcessKind.BEAT: _l("beat:"),
             ProcessKind.EMBEDDED: _l("embedded runner:")}


def _print_fleet(found: fleet.Fleet) -> None:
    """The processes of each kind expected, with when each was seen, and the jobs."""
    click.echo(_("Background work: the embedded runner (no CELERY_BROKER_URL)")
               if found.embedded else _("Background work: Celery workers and beat"))
    kinds = ((ProcessKind.EMBEDDED,) if found.embedded
             else (ProcessKind.WORKER, ProcessKind.BEAT))
    for kind in kinds:
        click.echo(str(_HEADINGS[kind]))
        for process in found.of(kind):
            click.echo("  " + _seen(found, process))
        if not found.of(kind):
            click.echo("  " + _("none seen"))
    jobs = found.jobs
    values = {"waiting": jobs.waiting, "running": jobs.running, "stuck": jobs.stuck,
              "retrying": jobs.retrying, "failed": jobs.failed}
    if jobs.oldest_waiting_since:
        click.echo(_("jobs: %(waiting)s waiting (the oldest for %(ago)s), %(running)s "
                     "running, %(stuck)s stuck, %(retrying)s retrying later, %(failed)s "
                     "failed", ago=fleet.words(found.now - jobs.oldest_waiting_since),
                     **values))
    else:
        click.echo(_("jobs: %(waiting)s waiting, %(running)s running, %(stuck)s stuck, "
                     "%(retrying)s retrying later, %(failed)s failed", **values))


def _seen(found: fleet.Fleet, process: fleet.ProcessHeartbeat) -> str:
    ago = fleet.words(found.now - process.last_seen_at)
    if process.stopped_at is not None:
        state = _("stopped %(ago)s ago", ago=ago)
    elif found.is_stale(process):
        state = _("NOT SEEN for %(ago)s", ago=ago)
    else:
        state = _("seen %(ago)s ago", ago=ago)
    return f"{process.name:<40} {state:<28} {found.doing(process)}"
