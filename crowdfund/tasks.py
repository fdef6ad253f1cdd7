"""Background work on Celery with Redis (``CELERY_BROKER_URL``).

Celery carries hints, not work: a message names a :class:`crowdfund.queue.Job` row, and
the worker that gets it claims the row (``crowdfund.queue.run``). So the settings below
are belt and braces rather than the guarantee:

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a worker killed mid-task leaves its
  message to be delivered again (OPERATIONS.md); the job's lease lapses meanwhile, and
  whoever gets the message, or the sweep's new hint, claims it; a job already done is not
  run again;
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

from celery import Celery
from celery.signals import worker_process_init
from flask import Flask

from crowdfund import hints, queue
from crowdfund.extensions import db
from crowdfund.jobs import PERIODIC, queue_periodic

celery = Celery("crowdfund")
RUN_JOB, PERIODIC_TASK, QUEUE = "crowdfund.run_job", "crowdfund.periodic", "crowdfund"
_app: dict[str, Flask] = {}


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
