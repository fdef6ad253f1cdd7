"""Background work on Celery with Redis (``CELERY_BROKER_URL``).

Celery carries hints, not work: a message names a :class:`crowdfund.queue.Job` row, and
the worker that gets it claims the row (``crowdfund.queue.run``). So the settings below
are belt and braces rather than the guarantee:

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a worker killed mid-task leaves its
  message to be delivered again (docs/operations.md#background-jobs); the job's lease
  lapses meanwhile, and whoever gets the message, or the sweep's new hint, claims it; a
  job already done is not run again;
- ``worker_prefetch_multiplier=1``: a worker busy with a batch of charges does not hold
  messages that an idle worker could run;
- every countdown (a retry's backoff, at most 300 s) is far below the visibility timeout.

Beat sends one message per periodic pass (``crowdfund.jobs.PERIODIC``); a worker turns it
into the pass's job (one waiting at a time, so two beats by mistake change nothing).

    celery -A crowdfund.worker:celery worker   # as many as you like, on any machine
    celery -A crowdfund.worker:celery beat     # exactly one
"""

from __future__ import annotations

import os
import socket
import time

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import worker_process_init, worker_ready, worker_shutdown
from flask import Flask

from crowdfund import fleet, hints, queue
from crowdfund.extensions import db
from crowdfund.fleet import ProcessKind
from crowdfund.jobs import PERIODIC, queue_periodic

celery = Celery("crowdfund")
RUN_JOB, PERIODIC_TASK, QUEUE = "crowdfund.run_job", "crowdfund.periodic", "crowdfund"
_app: dict[str, Flask] = {}
#: This worker's heartbeat thread (its main process), while it runs.
_heartbeat: dict[str, fleet.Heartbeat] = {}


class CeleryHints:
    """Hints for committed jobs, sent to the workers through the broker."""

    def send(self, job_id: int, countdown: float = 0) -> None:
        celery.send_task(RUN_JOB, args=[job_id], countdown=countdown or None)

    def waiting(self) -> int:
        """Messages in the queue that no worker has taken yet (a Redis list)."""
        with celery.connection_for_read() as connection:
            return connection.default_channel.client.llen(QUEUE)


def configure(app: Flask) -> None:
    """Point Celery at the app's broker and make committed jobs send their hints."""
    config = app.config
    celery.conf.update(
        broker_url=config["CELERY_BROKER_URL"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": config["CELERY_VISIBILITY_TIMEOUT"]},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        worker_hijack_root_logger=False,  # crowdfund/logs.py configures logging
        timezone="UTC",
        # Beat's heartbeat is written as its loop ticks (BeatScheduler): at least this often.
        beat_scheduler="crowdfund.tasks:BeatScheduler",
        beat_max_loop_interval=fleet.interval(app),
        beat_schedule={kind: {"task": PERIODIC_TASK, "schedule": float(config[setting]),
                              "args": [kind], "options": {"expires": float(config[setting])}}
                       for kind, setting in PERIODIC.items()},
    )
    _app["app"] = app
    hints.use_hints(app, CeleryHints())


@worker_process_init.connect
def _fresh_connections(**_kwargs) -> None:
    """A forked pool process must not share its parent's database connections."""
    if "app" in _app:
        with _app["app"].app_context():
            db.engine.dispose(close=False)


@worker_ready.connect
def _start_heartbeat(sender=None, **_kwargs) -> None:
    """The worker is ready to take jobs: its heartbeat row says so, and which jobs its
    pool runs (theirs are claimed as "<node name>:<pid>"), until it stops."""
    if "app" not in _app or sender is None:
        return
    node = sender.hostname
    beating = fleet.Heartbeat(_app["app"], ProcessKind.WORKER, f"{node}:{os.getpid()}",
                              fleet.running_jobs(f"{node}:"))
    _heartbeat["worker"] = beating
    beating.start()


@worker_shutdown.connect
def _stop_heartbeat(**_kwargs) -> None:
    if (beating := _heartbeat.pop("worker", None)) is not None:
        beating.stop()


class BeatScheduler(PersistentScheduler):
    """Beat's scheduler (the schedule file as usual), writing beat's heartbeat from its
    own loop: a beat whose loop is stuck goes stale even while its process lives."""

    def __init__(self, *args, **kwargs) -> None:
        self.process = f"{socket.gethostname()}:{os.getpid()}"
        self.beaten_at, self.sent = float("-inf"), ""
        super().__init__(*args, **kwargs)

    def apply_entry(self, entry, producer=None) -> None:
        super().apply_entry(entry, producer=producer)
        self.sent = entry.name

    def tick(self, *args, **kwargs) -> float:
        next_in = super().tick(*args, **kwargs)
        app = _app.get("app")
        if app is not None and time.monotonic() - self.beaten_at >= fleet.interval(app):
            doing = f"last sent: {self.sent}" if self.sent else "started"
            fleet.record(app, ProcessKind.BEAT, self.process, doing)
            self.beaten_at = time.monotonic()
        return next_in

    def close(self) -> None:
        super().close()
        if "app" in _app:
            fleet.stopped(_app["app"], ProcessKind.BEAT, self.process)


@celery.task(name=RUN_JOB, bind=True)
def run_job(self, job_id: int) -> bool:
    """Claim and run one job (nothing when it is done, or running elsewhere), as this
    worker ("w2@host:pid": what the console and the logs show)."""
    worker = f"{self.request.hostname or 'celery'}:{os.getpid()}"[:64]
    return queue.run(_app["app"], job_id, worker)


@celery.task(name=PERIODIC_TASK)
def periodic(kind: str) -> None:
    """Beat's tick for one periodic pass: its job, hinted to a worker."""
    app = _app["app"]
    with app.app_context():
        queue_periodic(kind)
        db.session.commit()
