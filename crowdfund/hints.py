"""How a committed job reaches a runner (``crowdfund/queue.py``): a hint naming it, sent
once the transaction that wrote it commits. On Celery the hint is a message
(``crowdfund/tasks.py`` installs the sender); embedded, nobody is told and the jobs loop
finds due jobs itself."""

from __future__ import annotations

import logging
from typing import Protocol

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from crowdfund.extensions import db

log = logging.getLogger("crowdfund.jobs")


class Hints(Protocol):
    def send(self, job_id: int, countdown: float = 0) -> None: ...

    def waiting(self) -> int:
        """Hints sent and not yet taken by a worker."""
        ...


class NoHints:
    """Embedded: nobody to tell; the jobs loop finds due jobs itself."""

    def send(self, job_id: int, countdown: float = 0) -> None:
        return None

    def waiting(self) -> int:
        return 0


def hints() -> Hints:
    return current_app.extensions.get("crowdfund.hints") or NoHints()


def use_hints(app: Flask, sender: Hints) -> None:
    app.extensions["crowdfund.hints"] = sender


def _hint_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (the event fires for those too): not committed yet
    ids = session.info.pop("crowdfund.hint_jobs", None)
    if not ids:
        return
    sender = hints()
    for job_id, countdown in ids:
        try:
            sender.send(job_id, countdown)
        except Exception:  # noqa: BLE001 - the row is queued; the sweep sends it again
            log.warning("could not send a hint for job %s; the sweep will", job_id,
                        exc_info=True)


def _forget_hints(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the rest
        session.info.pop("crowdfund.hint_jobs", None)


def init_app(app: Flask) -> None:
    """Send hints for jobs once the transaction that made them commits (never before: a
    worker must find the row)."""
    if not getattr(init_app, "_listening", False):
        sa.event.listen(Session, "after_commit", _hint_after_commit)
        sa.event.listen(Session, "after_rollback", _forget_hints)
        init_app._listening = True


def hint_on_commit(job_id: int, countdown: float = 0) -> None:
    db.session.info.setdefault("crowdfund.hint_jobs", []).append((job_id, countdown))
