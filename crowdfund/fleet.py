"""Who runs the background work, and whether it is alive: the fleet's heartbeats.

Every Celery worker, beat and the embedded runner (``flask jobs run --watch``) writes a
:class:`ProcessHeartbeat` row every ``PROCESS_HEARTBEAT_SECONDS``: one UPDATE of its own
row by primary key, on a connection of its own. The row is the truth: whichever machine
a process runs on, the settlement console and ``flask jobs status`` on any other read the
same rows. A process not seen for ``PROCESS_STALE_SECONDS`` (three heartbeats by default)
is stale; rows not seen for ``PROCESS_HEARTBEAT_KEEP`` are forgotten by the jobs pass.

- a **worker** beats from a thread of its main process, started when Celery says it is
  ready (``crowdfund/tasks.py``), and says which jobs its pool is running;
- **beat** beats from its scheduler's own loop (``tasks.BeatScheduler.tick``), so a beat
  whose loop is stuck goes stale even though its process lives;
- the **embedded runner** beats from a thread, like a worker.

A worker whose thread beats while its pool is wedged is caught by the other half of the
check: due jobs waiting longer than ``JOB_WAIT_ALERT_SECONDS``. Each process stamps its
row with its own clock: machines keep time (NTP) well within the stale threshold.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from markupsafe import Markup, escape
from sqlalchemy.orm import Mapped, mapped_column

from crowdfund.db import UTCDateTime, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.filters import duration
from crowdfund.i18n import _, _l, ngettext
from crowdfund.queue import Job, JobStatus

log = logging.getLogger("crowdfund.jobs")


class ProcessKind(enum.Enum):
    WORKER = "worker"  # a Celery worker (any number, any machine)
    BEAT = "beat"  # Celery beat (exactly one)
    EMBEDDED = "embedded"  # flask jobs run --watch: both in one process, no broker


#: Each kind as the settlement console names it.
# TRANSLATORS: kinds of background process: a Celery worker (runs jobs), Celery beat (the
# one that queues the periodic passes), `flask jobs run --watch` (both in one process).
KIND_LABELS = {ProcessKind.WORKER: _l("worker"), ProcessKind.BEAT: _l("beat (scheduler)"),
               ProcessKind.EMBEDDED: _l("embedded runner")}


class ProcessHeartbeat(db.Model):
    """One background process and when it last said it was alive."""

    __tablename__ = "process_heartbeats"
    __table_args__ = (
        sa.UniqueConstraint("kind", "name", name="uq_process_heartbeats_kind_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProcessKind] = mapped_column(str_enum(ProcessKind))
    #: "host:pid"; a worker's is Celery's node name and its pid ("w1@host:1234"), the
    #: prefix of the ``jobs.claimed_by`` of the jobs its pool runs.
    name: Mapped[str] = mapped_column(sa.String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Written by the process itself every PROCESS_HEARTBEAT_SECONDS (its own clock).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: What it was doing at its last heartbeat ("running job 17 (charge batch 12 3)").
    doing: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Set when it shut down cleanly (a crash leaves it empty: the row just goes stale).
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def stale(self, now: datetime, stale_after: timedelta) -> bool:
        return self.stopped_at is not None or self.last_seen_at < now - stale_after


# --- writing heartbeats ----------------------------------------------------------------------


def interval(app: Flask) -> float:
    return float(app.config["PROCESS_HEARTBEAT_SECONDS"])


def stale_after(app: Flask) -> timedelta:
    """Not seen for this long: stale (PROCESS_STALE_SECONDS, or three heartbeats)."""
    seconds = app.config.get("PROCESS_STALE_SECONDS") or 3 * interval(app)
    return timedelta(seconds=seconds)


def record(app: Flask, kind: ProcessKind, name: str,
           doing: Callable[[sa.Connection], str] | str = "", now: datetime | None = None) -> bool:
    """``name`` of ``kind`` is alive now, doing ``doing`` (a text, or a function that reads
    it on the same connection). Its own transaction; False (logged) when the database did
    not answer: a heartbeat never stops the process that beats."""
    table, name = ProcessHeartbeat.__table__, name[:120]
    try:
        with app.app_context(), db.engine.begin() as connection:
            now = now or utcnow()
            text = (doing(connection) if callable(doing) else doing)[:200]
            updated = connection.execute(
                sa.update(table).where(table.c.kind == kind, table.c.name == name)
                .values(last_seen_at=now, doing=text, stopped_at=None)).rowcount
            if not updated:  # its first heartbeat (or its row was pruned meanwhile)
                connection.execute(sa.insert(table).values(
                    kind=kind, name=name, started_at=now, last_seen_at=now,
                    doing=text))
    except sa.exc.SQLAlchemyError:
        log.warning("%s %s: heartbeat not recorded", kind.value, name, exc_info=True)
        return False
    return True


def stopped(app: Flask, kind: ProcessKind, name: str) -> None:
    """``name`` shut down cleanly: shown as stopped at once, not stale after a while."""
    table, name = ProcessHeartbeat.__table__, name[:120]
    try:
        with app.app_context(), db.engine.begin() as connection:
            now = utcnow()
            connection.execute(sa.update(table).where(
                table.c.kind == kind, table.c.name == name)
                .values(stopped_at=now, last_seen_at=now, doing="stopped"))
    except sa.exc.SQLAlchemyError:
        log.warning("%s %s: its stop was not recorded", kind.value, name, exc_info=True)


def running_jobs(claimed_by_prefix: str) -> Callable[[sa.Connection], str]:
    """"What it is doing" for a runner: the jobs running under its name."""

    def read(connection: sa.Connection) -> str:
        jobs = connection.execute(sa.select(Job.id, Job.kind).where(
            Job.status == JobStatus.RUNNING,
            Job.claimed_by.startswith(claimed_by_prefix, autoescape=True))
            .order_by(Job.id).limit(5)).all()
        if not jobs:
            return "idle"
        return "running " + ", ".join(f"job {job.id} ({job.kind})" for job in jobs)

    return read


class Heartbeat(threading.Thread):
    """Records ``name``'s heartbeat now and every PROCESS_HEARTBEAT_SECONDS until stopped."""

    def __init__(self, app: Flask, kind: ProcessKind, name: str,
                 doing: Callable[[sa.Connection], str] | str = "") -> None:
        super().__init__(daemon=True, name=f"heartbeat-{kind.value}")
        self.app, self.kind, self.process, self.doing = app, kind, name, doing
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            record(self.app, self.kind, self.process, self.doing)
            if self.stopping.wait(interval(self.app)):
                return

    def stop(self) -> None:
        """Stop beating and say so (a clean shutdown), after its last heartbeat: one
        written after the stop would make the row look alive."""
        self.stopping.set()
        if self.is_alive():
            self.join(10)
        stopped(self.app, self.kind, self.process)


def prune(now: datetime | None = None) -> int:
    """Forget processes not seen for PROCESS_HEARTBEAT_KEEP (in the caller's transaction)."""
    keep = current_app.config["PROCESS_HEARTBEAT_KEEP"]
    return db.session.execute(sa.delete(ProcessHeartbeat).where(
        ProcessHeartbeat.last_seen_at < (now or utcnow()) - keep)
        .execution_options(synchronize_session=False)).rowcount


# --- reading the fleet -----------------------------------------------------------------------


def words(delta: timedelta) -> str:
    """"45 seconds", "12 minutes", "3 hours": how long, for people (in the reader's
    language; in the platform's default one on the console)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    return duration(delta)


#: The kinds of background job as people read them (``queue.register`` in
#: crowdfund/jobs.py; each feature names its own: ``fan_out.CHARGE_BATCH``...). A kind not
#: here is shown as its name.
JOB_KINDS = {
    # TRANSLATORS: kinds of background job, shown on the settlement console.
    "settle pass": _l("settle pass"), "jobs pass": _l("jobs pass"),
    "send email": _l("send email"), "email sender": _l("email sender"),
    "sweep": _l("sweep"), "reconcile with gateway": _l("reconcile with gateway"),
    "settle campaign": _l("settle campaign"), "charge batch": _l("charge batch"),
    "detach cards": _l("detach cards"), "send refunds": _l("send refunds"),
}


def job_kind(kind: str) -> str:
    """A job's kind for people ("settle pass")."""
    return str(JOB_KINDS.get(kind, kind))


def job_label(kind: str, args) -> str:
    """A job for people: its kind and arguments ("charge batch 12 3")."""
    return " ".join([job_kind(kind), *(str(arg) for arg in args)])


#: What a process's row says it was doing, as stored in English by the process itself
#: (``running_jobs``, ``stopped``, beat's ``tasks.BeatScheduler``), for people to read.
_DOING = {"idle": _l("idle"), "started": _l("just started"), "stopped": _l("stopped")}
_RUNNING = re.compile(r"job (\d+) \(([^)]*)\)")


def doing_label(doing: str) -> str:
    """A heartbeat's "doing" in the reader's language ("running job 17 (charge batch)")."""
    if doing in _DOING:
        return str(_DOING[doing])
    if doing.startswith("running "):
        jobs = [_("job %(id)s (%(kind)s)", id=found[1], kind=job_kind(found[2]))
                for found in _RUNNING.finditer(doing)]
        # TRANSLATORS: what a background process is doing: "job 17 (charge batch), ...".
        return _("running %(jobs)s", jobs=_(", ").join(jobs))
    if doing.startswith("last sent: "):
        # TRANSLATORS: the kind of job the scheduler (Celery beat) queued last.
        return _("last sent: %(kind)s", kind=job_kind(doing.removeprefix("last sent: ")))
    return doing


@dataclass(frozen=True)
class JobCounts:
    """Where the unfinished jobs stand."""

    waiting: int = 0  # due, not taken by anyone yet
    retrying: int = 0  # failed an attempt, waiting for their backoff
    running: int = 0
    stuck: int = 0  # running with a lapsed lease: their runner died; taken over when due
    failed: int = 0  # every attempt failed: an operator looks
    #: Since when the longest-waiting due job waits (None: nothing waits).
    oldest_waiting_since: datetime | None = None


@dataclass
class Fleet:
    """The background processes as their heartbeats say, the jobs, and what is wrong."""

    embedded: bool  # no broker: the embedded runner does everything
    now: datetime
    stale_after: timedelta
    processes: list[ProcessHeartbeat]
    jobs: JobCounts
    problems: list[str] = field(default_factory=list)

    def of(self, kind: ProcessKind) -> list[ProcessHeartbeat]:
        return [p for p in self.processes if p.kind is kind]

    def alive(self, kind: ProcessKind) -> list[ProcessHeartbeat]:
        return [p for p in self.of(kind) if not p.stale(self.now, self.stale_after)]

    def is_stale(self, process: ProcessHeartbeat) -> bool:
        return process.stale(self.now, self.stale_after)

    def ago(self, moment: datetime) -> str:
        """How long before now, in words ("45 seconds", "12 minutes")."""
        return words(self.now - moment)

    @staticmethod
    def doing(process: ProcessHeartbeat) -> str:
        """What ``process`` was doing at its last heartbeat, for people."""
        return doing_label(process.doing)

    @staticmethod
    def html(problem: str) -> Markup:
        """A problem as the console shows it: the commands it names as code."""
        shown = escape(problem)
        for command in _COMMANDS:
            shown = shown.replace(escape(command), Markup("<code>%s</code>") % command)
        return shown

    @staticmethod
    def kind_label(process: ProcessHeartbeat) -> str:
        """What kind of process it is, for people ("worker")."""
        return str(KIND_LABELS[process.kind])

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        """For /readyz's body: counts only (no names of machines)."""
        return {"workers": len(self.alive(ProcessKind.WORKER)),
                "beat": len(self.alive(ProcessKind.BEAT)),
                "embedded": len(self.alive(ProcessKind.EMBEDDED)),
                "jobs_waiting": self.jobs.waiting,
                "problems": len(self.problems)}


#: Commands the problems name (shown as code on the console).
_COMMANDS = ("flask jobs run --watch",)

#: Per kind, the sentence for operators when none is alive, saying who is missing and what
#: that means for people waiting on the platform: never seen, not seen for ``ago``, or
#: stopped cleanly ``ago`` ago.
_DOWN = {
    ProcessKind.WORKER: (
        _l("No worker has been seen: nothing is being settled or emailed."),
        _l("No worker has been seen for %(ago)s: nothing is being settled or emailed."),
        _l("No worker has been seen since the last one stopped %(ago)s ago: nothing is "
           "being settled or emailed.")),
    ProcessKind.BEAT: (
        _l("Beat has not been seen: no settle pass, jobs pass or email round is being "
           "queued."),
        _l("Beat has not been seen for %(ago)s: no settle pass, jobs pass or email round "
           "is being queued."),
        _l("Beat has not been seen since it stopped %(ago)s ago: no settle pass, jobs pass "
           "or email round is being queued.")),
    ProcessKind.EMBEDDED: (
        _l("The jobs runner (flask jobs run --watch) has not been seen: nothing is being "
           "settled or emailed."),
        _l("The jobs runner (flask jobs run --watch) has not been seen for %(ago)s: "
           "nothing is being settled or emailed."),
        _l("The jobs runner (flask jobs run --watch) has not been seen since it stopped "
           "%(ago)s ago: nothing is being settled or emailed.")),
}


def _down(fleet: Fleet, kind: ProcessKind) -> str | None:
    """The sentence for operators when no process of ``kind`` is alive (None if one is)."""
    if fleet.alive(kind):
        return None
    never, not_seen, stopped_ = _DOWN[kind]
    latest = max(fleet.of(kind), key=lambda p: p.last_seen_at, default=None)
    if latest is None:
        return str(never)
    sentence = stopped_ if latest.stopped_at else not_seen
    return str(sentence) % {"ago": fleet.ago(latest.last_seen_at)}


def _count(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _job_counts(now: datetime) -> JobCounts:
    """The unfinished (and failed) jobs by where they stand, in two queries."""
    due = sa.or_(Job.not_before.is_(None), Job.not_before <= now)
    queued, running = Job.status == JobStatus.QUEUED, Job.status == JobStatus.RUNNING
    counts = db.session.execute(sa.select(
        _count(sa.and_(queued, due)), _count(sa.and_(queued, sa.not_(due))),
        _count(sa.and_(running, Job.lease_until >= now)),
        _count(sa.and_(running, Job.lease_until < now)),
        _count(Job.status == JobStatus.FAILED))
        .where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED)))).one()
    oldest = db.session.execute(
        sa.select(Job.created_at, Job.not_before).where(queued, due)
        .order_by(sa.func.coalesce(Job.not_before, Job.created_at)).limit(1)).first()
    since = None if oldest is None else oldest.not_before or oldest.created_at
    return JobCounts(*(int(n) for n in counts), oldest_waiting_since=since)


def status(now: datetime | None = None) -> Fleet:
    """The fleet as the database has it, and the problems an operator must hear about:
    no worker or no beat alive (on Celery), no embedded runner alive (without a broker),
    a due job waiting longer than JOB_WAIT_ALERT_SECONDS while no job was started in that
    time."""
    app = current_app._get_current_object()
    now = now or utcnow()
    processes = list(db.session.scalars(sa.select(ProcessHeartbeat).order_by(
        ProcessHeartbeat.kind, ProcessHeartbeat.last_seen_at.desc()).limit(200)))
    fleet = Fleet(embedded=not app.config.get("CELERY_BROKER_URL"), now=now,
                  stale_after=stale_after(app), processes=processes, jobs=_job_counts(now))
    kinds = ((ProcessKind.EMBEDDED,) if fleet.embedded
             else (ProcessKind.WORKER, ProcessKind.BEAT))
    fleet.problems = [problem for kind in kinds if (problem := _down(fleet, kind))]
    since = fleet.jobs.oldest_waiting_since
    alert = timedelta(seconds=app.config["JOB_WAIT_ALERT_SECONDS"])
    if since is not None and now - since > alert and not _started_since(now - alert):
        fleet.problems.append(ngettext(
            "%(num)s job waiting; the oldest for %(ago)s (more than %(limit)s): no runner "
            "takes it.",
            "%(num)s jobs waiting; the oldest for %(ago)s (more than %(limit)s): no runner "
            "takes them.",
            fleet.jobs.waiting, ago=words(now - since), limit=words(alert)))
    return fleet


def _started_since(moment: datetime) -> bool:
    """Whether any job was started since ``moment``: a deadline's hundreds of charge
    batches wait their turn for longer than the alert while workers take them one after
    the other; only waiting with nothing taken is a problem. (Asked only when a job has
    waited that long; finished jobs are pruned, the table stays small.)"""
    return bool(db.session.scalar(sa.select(sa.exists().where(Job.started_at >= moment))))
