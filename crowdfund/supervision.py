"""One bad item never stops a loop (docs/operations.md#one-bad-item-never-stops-a-loop).

Every queue-like loop (settlement, charging, refunds, recovery, payouts, the outbox, the
periodic jobs) runs each item through :func:`isolated`: an item that raises is rolled
back, logged with its job and id, and recorded as a :class:`JobFailure` (what, since when,
how often, the last error) that operators see on the settlement console; the loop goes
on with the next item. When the item later succeeds, its failure is marked resolved.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, has_app_context
from sqlalchemy.orm import Mapped, mapped_column

from crowdfund.db import UTCDateTime, utcnow
from crowdfund.extensions import db
from crowdfund.logs import current_work

log = logging.getLogger("crowdfund.jobs")
T = TypeVar("T")
Item = TypeVar("Item")

class _Failed:
    """What ``isolated`` returns for an item that raised (false, like "nothing done")."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "FAILED"


FAILED: Any = _Failed()


class JobFailure(db.Model):
    """An item of a background loop that raised: one row per job and item, updated on each
    new failure, resolved when the item goes through."""

    __tablename__ = "job_failures"
    __table_args__ = (sa.UniqueConstraint("job", "item", name="uq_job_failures_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The loop: "settle campaign", "charge pledge", "send email", "jobs: launch due"...
    job: Mapped[str] = mapped_column(sa.String(60))
    #: The item's id in that loop (a campaign, pledge, refund, payout or message id).
    item: Mapped[str] = mapped_column(sa.String(120))
    attempts: Mapped[int] = mapped_column(default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: Per process: the open failures of each job, re-read at most every _OPEN_TTL seconds, so
#: that a success costs no query unless its item is known to have failed.
_open: dict[str, tuple[float, set[str]]] = {}
_OPEN_TTL = 60.0


def _fresh(job: str) -> set[str] | None:
    """The cached open failures of ``job``, or None when they must be read again."""
    cached = _open.get(job)
    if cached is None or time.monotonic() - cached[0] > _OPEN_TTL:
        return None
    return cached[1]


def _resolve(app: Flask, job: str, key: str) -> None:
    """Mark ``key``'s failure resolved if it has one; no query while the cache says not."""
    known = _fresh(job)
    if known is not None and key not in known:
        return  # the usual case: a good item, nothing to do
    with app.app_context():
        if known is None:
            known = set(db.session.scalars(sa.select(JobFailure.item).where(
                JobFailure.job == job, JobFailure.resolved_at.is_(None))))
            _open[job] = (time.monotonic(), known)
        if key in known:
            db.session.execute(sa.update(JobFailure).where(
                JobFailure.job == job, JobFailure.item == key,
                JobFailure.resolved_at.is_(None)).values(resolved_at=utcnow()))
            known.discard(key)
        db.session.commit()


def resolved(app: Flask, job: str, item: object) -> None:
    """``item`` of ``job`` went through (in a loop that isolates items itself, with
    :func:`each_isolated`): its failure, if it had one, is marked resolved."""
    try:
        _resolve(app, job, str(item)[:120])
    except sa.exc.SQLAlchemyError:
        log.warning("could not mark %s %s resolved", job, item, exc_info=True)


def isolated(app: Flask, job: str, item: object, fn: Callable[..., T], *args,
             **kwargs) -> T:
    """``fn(*args, **kwargs)`` for one item of a loop; ``FAILED`` if it raised (recorded)."""
    key = str(item)[:120]
    token = current_work.set(f"{job} {key}")  # on every log line while this item runs
    try:
        result = fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the point: one item never stops the loop
        if has_app_context():
            db.session.rollback()
        log.exception("%s %s failed; the loop goes on", job, key)
        _record(app, job, key, error)
        return FAILED
    finally:
        current_work.reset(token)
    try:
        _resolve(app, job, key)
    except sa.exc.SQLAlchemyError:
        log.warning("could not mark %s %s resolved", job, key, exc_info=True)
    return result


def each_isolated(job: str, items: Iterable[Item], fn: Callable[[Item], object], *,
                  key: Callable[[Item], object] = lambda item: getattr(item, "id", item),
                  chunk: int = 200) -> int:
    """``fn(item)`` for each item, inside the caller's transaction: an item that raises is
    rolled back, logged and recorded (in the same transaction, committed with the rest),
    and the others go on. Returns for how many ``fn`` returned something true (an email
    queued, a pledge changed). For loops that write in one transaction (emails to every
    backer, reminders); loops whose items commit on their own use :func:`isolated`.

    Items run ``chunk`` at a time in one savepoint; only a chunk in which one failed is
    run again an item at a time, each in its own savepoint (``fn`` must only write to the
    database, which the first try's rollback undoes)."""
    done = 0
    items = list(items)
    for start in range(0, len(items), chunk):
        part = items[start:start + chunk]
        try:
            with db.session.begin_nested():
                results = [fn(item) for item in part]
        except Exception:  # noqa: BLE001 - find the bad item below, one at a time
            results = [_one_isolated(job, item, fn, key) for item in part]
        done += sum(bool(result) for result in results)
    return done


def _one_isolated(job: str, item, fn: Callable, key: Callable) -> object:
    item_key = str(key(item))[:120]
    token = current_work.set(f"{job} {item_key}")
    try:
        with db.session.begin_nested():
            return fn(item)
    except Exception as error:  # noqa: BLE001 - one item never stops the loop
        log.exception("%s %s failed; the loop goes on", job, item_key)
        _upsert_failure(job, item_key, error)
        return False
    finally:
        current_work.reset(token)


def error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()[:4000]


def _upsert_failure(job: str, key: str, error: BaseException) -> None:
    """Record (or count again) a failure in the current session."""
    now, text = utcnow(), error_text(error)
    updated = db.session.execute(sa.update(JobFailure).where(
        JobFailure.job == job, JobFailure.item == key).values(
        attempts=JobFailure.attempts + 1, last_failed_at=now, last_error=text,
        resolved_at=None)).rowcount
    if not updated:
        db.session.add(JobFailure(job=job, item=key, last_error=text, first_failed_at=now,
                                  last_failed_at=now))
    _open.setdefault(job, (time.monotonic(), set()))[1].add(key)


def record_failure(job: str, item: object, error: BaseException) -> None:
    """Record (or count again) a failure of ``item`` in ``job``, in the current session:
    for a loop that keeps its own retries per item and shows one to operators only once
    it is stuck (its later success marks it resolved, as for :func:`isolated`)."""
    _upsert_failure(job, str(item)[:120], error)


def _record(app: Flask, job: str, key: str, error: BaseException) -> None:
    try:
        with app.app_context():  # a session of its own: the item's may be broken
            _upsert_failure(job, key, error)
            db.session.commit()
    except sa.exc.SQLAlchemyError:
        log.exception("could not record the failure of %s %s", job, key)


def open_failures(limit: int = 200) -> list[JobFailure]:
    return list(db.session.scalars(sa.select(JobFailure).where(
        JobFailure.resolved_at.is_(None)).order_by(JobFailure.last_failed_at.desc())
        .limit(limit)))


def watch_loop(pass_once: Callable[[], object], interval: float, what: str,
               sleep: Callable[[float], None] | None = None, passes: int | None = None) -> None:
    """Run ``pass_once`` every ``interval`` seconds (for ever, or ``passes`` times). A pass
    that raises is logged and the loop goes on: a ``--watch`` loop never dies of one bad
    pass (items are isolated inside each pass; this is the last line of defence)."""
    done = 0
    while passes is None or done < passes:
        try:
            pass_once()
        except Exception:  # noqa: BLE001 - the loop must survive whatever one pass raised
            log.exception("%s: the pass failed; the next one in %s s", what, interval)
        finally:
            if has_app_context():
                db.session.remove()
        done += 1
        (sleep or time.sleep)(interval)
