"""Row locks for read-check-write rules (docs/operations.md#row-locks).

A rule that reads a total, checks it and then writes (the last-24-hours rule, an
investor's 12-month limit, early close, a refund against what is left, a refund racing
the payout) first locks the row that stands for the total, so that two transactions
applying the rule at once run one after the other. On PostgreSQL that is
``SELECT ... FOR UPDATE``; under READ COMMITTED every statement after the lock sees what
the transaction before it committed. SQLite has no row locks and needs none: every
writing transaction there holds the database's write lock from BEGIN.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import g, has_request_context

from crowdfund.extensions import db


def lock(instance) -> None:
    """Lock ``instance``'s row until the transaction ends, and reload it from the database.

    Call it before reading anything the rule checks. What the transaction changed so far
    is flushed first, so the reload keeps it.
    """
    db.session.flush()
    db.session.refresh(instance, with_for_update=True)


def lock_key(namespace: str, key: str) -> None:
    """Serialise, until the transaction ends, every transaction that locks the same
    ``namespace`` and ``key`` when no row stands for them (sign-in attempts from one
    address, say). PostgreSQL: ``pg_advisory_xact_lock``; SQLite: nothing to do (writers
    are serialised already)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:ns), hashtext(:key))"),
                       {"ns": namespace, "key": key})


def write_transaction(*fresh) -> None:
    """This request writes from here on, though it began reading only: a GET that saves
    something, or a view marked ``web.reads_first`` on SQLite. Reading transactions
    (``crowdfund.db._begin``: on SQLite without the write lock, on PostgreSQL ``READ
    ONLY``) end here if one is open (it wrote nothing), so that the next one may write
    (and on SQLite takes the lock at BEGIN). Objects loaded so far are read again when
    next used; with ``fresh`` objects, only those are (their columns, at once, under the
    lock: what the rules check), the rest is kept as read (the signed-in user, the chosen
    reward, the objects loaded with the fresh ones).
    Outside requests, and when the transaction may write already, nothing changes."""
    if not has_request_context() or g.get("db_writes", False):
        return
    g.db_writes = True
    session = db.session()
    if not (session.in_transaction() and session.connection().info.get("read_only")):
        return
    if not fresh:
        session.commit()
        return
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    for instance in fresh:  # its columns; what it loaded with it stays as read
        session.refresh(instance, _columns(type(instance)))


@functools.cache
def _columns(cls) -> tuple[str, ...]:
    return tuple(attribute.key for attribute in sa.inspect(cls).column_attrs)
