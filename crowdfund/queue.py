"""Background work as rows: the row is the truth, the message is a hint
(docs/operations.md#background-jobs).

Every piece of background work (a settle pass, one campaign's settlement, one batch of its
charges, an operator's "Settle now") is a :class:`Job` row, written in the caller's
transaction with :func:`enqueue`. Whoever runs it first :func:`claim`\\ s it with a
conditional UPDATE and a lease that a heartbeat renews while it runs; a runner that dies
stops renewing, and the job is claimed again once the lease lapses. So:

- on Celery (``CELERY_BROKER_URL``): a committed job sends a hint (a message naming its
  id) to the workers; a hint delivered twice, late, or to two workers at once runs the job
  once; a hint lost (Redis restarted, a worker killed) is sent again by the periodic sweep;
- embedded (``make run``, no broker): ``flask jobs run --watch`` claims due jobs itself.

The same registered functions run in both: nothing in the domain knows which runner
called it. A job that raises is tried again with exponential backoff, up to
``max_attempts``; then it is ``failed``, shown on the settlement console with its error
and a retry button. A ``key`` makes a job unique while unfinished (the periodic passes,
"settle campaign 12"): enqueueing it again returns the one already waiting.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Mapped, mapped_column

from crowdfund.db import UTCDateTime, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.hints import hint_on_commit, hints
from crowdfund.logs import current_work
from crowdfund.supervision import error_text

log = logging.getLogger("crowdfund.jobs")

#: Longest delay before a retry; below any broker's visibility timeout (a countdown past
#: it is delivered early and can multiply: docs/operations.md#background-jobs).
MAX_BACKOFF_SECONDS = 300


class JobStatus(enum.Enum):
    QUEUED = "queued"  # waiting (maybe until not_before, after a failure)
    RUNNING = "running"  # claimed; the lease says until when
    DONE = "done"
    FAILED = "failed"  # every attempt raised: an operator looks, and may retry


class Job(db.Model):
    """One piece of background work and where it stands."""

    __tablename__ = "jobs"
    __table_args__ = (
        # One unfinished job per key (a pass, a campaign's settlement): enqueued twice, once.
        sa.Index("uq_jobs_key_unfinished", "key", unique=True,
                 sqlite_where=sa.text("finished_at IS NULL"),
                 postgresql_where=sa.text("finished_at IS NULL")),
        sa.Index("ix_jobs_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered function: "settle campaign", "charge batch", "settle pass"...
    kind: Mapped[str] = mapped_column(sa.String(60))
    args: Mapped[list] = mapped_column(sa.JSON, default=list)
    key: Mapped[str | None] = mapped_column(sa.String(120))
    #: What it is about, for the console's progress ("campaign:12").
    subject: Mapped[str | None] = mapped_column(sa.String(60), index=True)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When a hint was last sent for it (the sweep re-sends stale ones).
    hinted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What it did (a short report), or its last error.
    message: Mapped[str] = mapped_column(sa.Text, default="")
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def label(self) -> str:
        return f"{self.kind} {' '.join(str(a) for a in self.args)}".strip()


@dataclass(frozen=True)
class Kind:
    fn: Callable[..., object]
    max_attempts: int = 5
    #: The item loops (``supervision`` job names, by prefix) this kind runs.
    covers: tuple[str, ...] = ()
    #: Started every few seconds, like the passes (the email senders): once done,
    #: forgotten after an hour and left out of the console's list.
    routine: bool = False


_kinds: dict[str, Kind] = {}


def register(kind: str, fn: Callable[..., object], *, max_attempts: int = 5,
             covers: tuple[str, ...] = (), routine: bool = False) -> None:
    """``fn(*args)`` runs a job of ``kind`` (in an app context; it commits its own work).
    ``covers``: the item loops it runs, whose failed items an operator retries with it.
    ``routine``: kept no longer than the periodic passes once done."""
    _kinds[kind] = Kind(fn, max_attempts, covers, routine)


def registered() -> set[str]:
    return set(_kinds)


def kind_covering(loop: str) -> str | None:
    """The job kind that runs the item loop ``loop`` (a failed item's retry)."""
    for kind, spec in _kinds.items():
        if any(loop == name or loop.startswith(f"{name}:") for name in spec.covers):
            return kind
    return None


# --- writing jobs --------------------------------------------------------------------------


def enqueue(kind: str, *args: Any, key: str | None = None, subject: str | None = None,
            requested_by: int | None = None) -> Job:
    """A job, in the caller's transaction (hinted once it commits). With ``key``: the
    unfinished job of that key if there is one, a new one otherwise."""
    if kind not in _kinds:
        raise KeyError(f"no job kind {kind!r}")
    if key is not None and (waiting := _unfinished(key)) is not None:
        return waiting
    job = Job(kind=kind, args=list(args), key=key, subject=subject,
              requested_by_id=requested_by, max_attempts=_kinds[kind].max_attempts,
              status=JobStatus.QUEUED, hinted_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except sa.exc.IntegrityError:  # the same key, enqueued at this moment elsewhere
        waiting = _unfinished(key)
        if waiting is None:
            raise
        return waiting
    hint_on_commit(job.id)
    return job


def _unfinished(key: str) -> Job | None:
    return db.session.scalar(sa.select(Job).where(Job.key == key, Job.finished_at.is_(None)))


def retry(job: Job) -> bool:
    """An operator's retry of a failed job: queued again from its first attempt. False
    when it is not failed, or the same work is already waiting under its key."""
    if job.status is not JobStatus.FAILED:
        return False
    if job.key is not None and _unfinished(job.key) is not None:
        return False
    job.status, job.attempts, job.not_before = JobStatus.QUEUED, 0, None
    job.finished_at, job.lease_until = None, None
    job.hinted_at = utcnow()
    db.session.flush()
    hint_on_commit(job.id)
    return True


# --- running jobs --------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10_000}"[:64]


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def claim(job_id: int, worker: str, now: datetime | None = None) -> bool:
    """Take a due job (queued and due, or running with a lapsed lease): one runner at a
    time, whatever the number of hints. Commits."""
    now = now or utcnow()
    claimed = db.session.execute(
        sa.update(Job).where(Job.id == job_id, sa.or_(
            sa.and_(Job.status == JobStatus.QUEUED,
                    sa.or_(Job.not_before.is_(None), Job.not_before <= now)),
            sa.and_(Job.status == JobStatus.RUNNING, Job.lease_until < now)))
        .values(status=JobStatus.RUNNING, claimed_by=worker, lease_until=now + _lease(),
                started_at=now, attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return claimed


class _Heartbeat(threading.Thread):
    """Renews a running job's lease every third of it, on a connection of its own."""

    def __init__(self, app: Flask, job_id: int, worker: str) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.app, self.job_id, self.worker = app, job_id, worker
        self.stopped = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            lease = _lease()
            while not self.stopped.wait(lease.total_seconds() / 3):
                try:
                    with db.engine.begin() as connection:
                        connection.execute(sa.update(Job).where(
                            Job.id == self.job_id, Job.claimed_by == self.worker,
                            Job.status == JobStatus.RUNNING)
                            .values(lease_until=utcnow() + lease))
                except sa.exc.SQLAlchemyError:
                    log.warning("job %s: lease not renewed", self.job_id, exc_info=True)


def run(app: Flask, job_id: int, worker: str | None = None) -> bool:
    """Claim and run one job; False when there was nothing to run (done, or another
    runner holds it). Its failure is recorded and retried later; never raised."""
    worker = worker or worker_name()
    with app.app_context():
        if not claim(job_id, worker):
            return False
        job = db.session.get(Job, job_id)
        kind, args, label = job.kind, list(job.args), job.label
        db.session.commit()
    token = current_work.set(f"job {job_id} {label}")
    heartbeat = _Heartbeat(app, job_id, worker)
    heartbeat.start()
    try:
        with app.app_context():
            result = _kinds[kind].fn(*args)
            db.session.commit()
    except Exception as error:  # noqa: BLE001 - recorded below, retried with backoff
        log.exception("job %s (%s) failed", job_id, label)
        _finish(app, job_id, worker, error=error)
    else:
        _finish(app, job_id, worker, result=result)
    finally:
        heartbeat.stopped.set()
        current_work.reset(token)
    return True


def _finish(app: Flask, job_id: int, worker: str, *, result: object = None,
            error: BaseException | None = None) -> None:
    with app.app_context():
        db.session.rollback()
        job = db.session.get(Job, job_id, with_for_update=True)
        if job is None or job.claimed_by != worker or job.status is not JobStatus.RUNNING:
            db.session.commit()  # another runner took it over after our lease lapsed
            return
        now = utcnow()
        job.lease_until = None  # claimed_by stays: who ran it last
        if error is None:
            job.status, job.finished_at = JobStatus.DONE, now
            job.message = "" if result is None else str(result)[:2000]
        else:
            job.last_error = error_text(error)
            if job.attempts >= job.max_attempts:
                job.status, job.finished_at = JobStatus.FAILED, now
                log.error("job %s (%s) failed %s times; given up (settlement console)",
                          job.id, job.label, job.attempts)
            else:
                delay = min(MAX_BACKOFF_SECONDS, app.config["JOB_BACKOFF_SECONDS"]
                            * 2 ** (job.attempts - 1))
                job.status, job.not_before = JobStatus.QUEUED, now + timedelta(seconds=delay)
                job.hinted_at = now
                hint_on_commit(job.id, delay)
        db.session.commit()


def due_ids(limit: int = 50, now: datetime | None = None) -> list[int]:
    """Jobs a runner could claim now, oldest first."""
    now = now or utcnow()
    return list(db.session.scalars(sa.select(Job.id).where(sa.or_(
        sa.and_(Job.status == JobStatus.QUEUED,
                sa.or_(Job.not_before.is_(None), Job.not_before <= now)),
        sa.and_(Job.status == JobStatus.RUNNING, Job.lease_until < now)))
        .order_by(Job.id).limit(limit)))


def drain(app: Flask, limit: int = 1000) -> int:
    """The embedded runner: run due jobs, oldest first, those they queue included (a
    campaign's batches), until none is due or ``limit`` ran; how many ran."""
    ran = 0
    while ran < limit:
        with app.app_context():
            ids = due_ids(min(50, limit - ran))
            db.session.commit()
        if not ids:
            break
        ran += sum(run(app, job_id) for job_id in ids)
    return ran


def sweep(stale_after: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
    """Send hints again for due jobs whose last hint is older than ``stale_after``: lost
    with a broker restart, or held by a worker that died (a lapsed lease). While hints
    still wait in the broker (workers busy with a big campaign's batches), queued jobs are
    not hinted again: they will be reached, and a hint per job per sweep would pile up.
    In the caller's transaction."""
    now = utcnow()
    ids = due_ids(limit, now)
    if not ids:
        return 0
    stale_job = sa.or_(Job.hinted_at.is_(None), Job.hinted_at < now - stale_after)
    if hints().waiting():
        stale_job = sa.and_(stale_job, Job.status == JobStatus.RUNNING)
    stale = list(db.session.scalars(sa.select(Job.id).where(Job.id.in_(ids), stale_job)))
    if stale:
        db.session.execute(sa.update(Job).where(Job.id.in_(stale)).values(hinted_at=now)
                           .execution_options(synchronize_session=False))
        for job_id in stale:
            hint_on_commit(job_id)
    return len(stale)


def _is_pass():
    """The periodic passes are the jobs keyed by their own kind (one waiting per kind);
    the routine kinds' jobs count with them."""
    routine = [kind for kind, spec in _kinds.items() if spec.routine]
    return sa.or_(Job.key == Job.kind, Job.kind.in_(routine))


def prune(older_than: timedelta = timedelta(days=14),
          passes_older_than: timedelta = timedelta(hours=1)) -> int:
    """Forget done jobs (failed ones stay until an operator acts); the periodic passes,
    a few thousand a day, after an hour."""
    now = utcnow()
    return db.session.execute(sa.delete(Job).where(
        Job.status == JobStatus.DONE, sa.or_(
            Job.finished_at < now - older_than,
            sa.and_(_is_pass(), Job.finished_at < now - passes_older_than)))
        .execution_options(synchronize_session=False)).rowcount


def recent(limit: int = 50) -> list[Job]:
    """For the console: unfinished and failed jobs first, then the latest finished (the
    periodic passes left out: they run every few seconds)."""
    open_jobs = list(db.session.scalars(sa.select(Job).where(
        Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED)))
        .order_by(Job.id.desc()).limit(limit)))
    done = list(db.session.scalars(sa.select(Job).where(
        Job.status == JobStatus.DONE, sa.or_(Job.key.is_(None), ~_is_pass()))
        .order_by(Job.id.desc()).limit(max(0, limit // 2))))
    return open_jobs + done


def unfinished_count(subject: str, kind: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(
        Job.subject == subject, Job.kind == kind, Job.finished_at.is_(None)))


def progress(subjects: list[str], kind: str) -> dict[str, tuple[int, int]]:
    """``{subject: (finished, total)}`` jobs of ``kind`` about each of ``subjects`` (a
    campaign's charge batches), in one query; subjects without jobs are left out."""
    finished = Job.finished_at.is_not(None)
    out: dict[str, tuple[int, int]] = {}
    for subject, done, count in db.session.execute(
            sa.select(Job.subject, finished, sa.func.count())
            .where(Job.subject.in_(subjects), Job.kind == kind)
            .group_by(Job.subject, finished)):
        was_done, total = out.get(subject, (0, 0))
        out[subject] = (was_done + (count if done else 0), total + count)
    return out
