"""Declarative base with a constraint naming convention, UTC timestamps, engine tuning."""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

log = logging.getLogger("crowdfund.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones; PostgreSQL has ``timestamptz``. This type makes both
    return aware UTC datetimes and refuses naive ones on the way in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model: naming convention for constraints (stable migrations)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(sa.Table, "after_parent_attach")
def _ids_never_reused(table: sa.Table, parent) -> None:
    """Every table's integer primary key hands each id out once, on SQLite too
    (AUTOINCREMENT; PostgreSQL's sequences never reuse one). Without it SQLite gives a
    deleted highest id to the next row, and whatever named the old row (an outbox dedupe
    key, an emailed link, a cache key) names the new one. Set on every table built in the
    process: the models', and those the migrations build (``op.create_table``, and the
    copies batch operations make on SQLite, whose reflection loses the option). Older
    databases were rebuilt by the migration ``b7e41c9a2d55`` (ids never reused)."""
    if isinstance(parent, sa.MetaData):
        table.dialect_kwargs["sqlite_autoincrement"] = True


class TimestampMixin:
    """``created_at`` and ``updated_at`` kept by the database session."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def audit_row(status_enum) -> type:
    """Mixin for an audit-trail table of ``status_enum`` changes: who, when, from, to, why."""

    class AuditRow:
        from_status: Mapped[Any] = mapped_column(str_enum(status_enum))
        to_status: Mapped[Any] = mapped_column(str_enum(status_enum))
        #: None when the platform itself acted (a scheduled launch, the deadline, a job).
        actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
        reason: Mapped[str | None] = mapped_column(sa.Text)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    return AuditRow


class utc_day(sa.sql.functions.GenericFunction):  # noqa: N801 - used like sa.func.date
    """The UTC calendar day of a ``UTCDateTime`` column, computed by the database (for
    GROUP BY day): SQLite stores UTC already; PostgreSQL converts from timestamptz."""

    type = sa.Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day)
def _utc_day_default(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw):
    return f"date(timezone('UTC', {compiler.process(element.clauses, **kw)}))"


def flushed_rows(session, cls: type, names: tuple[str, ...]) -> Iterator[tuple]:
    """For an ``after_flush`` hook: ``(before, after)`` for each ``cls`` row the flush
    wrote whose ``names`` changed, each a tuple of those attributes' values (``before``
    None for a new row, ``after`` None for a deleted one). The old values come from the
    attributes' history: columns whose change is kept must have ``active_history``."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, cls):
            continue
        state = sa.inspect(obj)
        if obj in session.dirty and not any(state.attrs[n].history.has_changes()
                                            for n in names):
            continue
        before = None if obj in session.new else tuple(
            _before_flush(state, n) for n in names)
        after = None if obj in session.deleted else tuple(getattr(obj, n) for n in names)
        yield before, after


def add_sums(changes: dict, key, values, sign: int = 1) -> None:
    """``changes[key]`` (a list of sums, started at zeros) plus ``sign`` x ``values``, one
    by one: what hooks that keep totals gather before writing them."""
    held = changes.setdefault(key, [0] * len(values))
    for i, value in enumerate(values):
        held[i] += sign * value


def _before_flush(state, name: str):
    history = state.attrs[name].history
    return history.deleted[0] if history.deleted else getattr(state.obj(), name)


@contextmanager
def collecting(session, name: str) -> Iterator[dict | None]:
    """A dict kept in ``session.info[name]`` while the block runs, for rows that a loop
    adds one at a time and that are written together at its end. The outermost block gets
    the dict (and writes what it holds once the block ends without raising); a nested
    block gets None: its rows join the outer one's."""
    if name in session.info:
        yield None
        return
    pending: dict = {}
    session.info[name] = pending
    try:
        yield pending
    finally:
        del session.info[name]


def dialect_insert(session, model):
    """An INSERT into ``model`` in the session's own dialect, for what both databases
    support in their own spelling (``on_conflict_do_nothing``: a row made twice at once
    exists once)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    return (postgresql_insert if postgres else sqlite_insert)(model)


def str_enum(enum_cls, length: int = 32) -> sa.Enum:
    """A portable enum column stored as its string values (no native DB enum)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


#: How long a writer waits for SQLite's write lock before "database is locked".
SQLITE_BUSY_SECONDS = 30


def _sqlite_on_connect(dbapi_connection, connection_record):
    """SQLite: WAL, foreign keys, a busy timeout, and transactions we begin ourselves."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy emit BEGIN (see below) instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    path = cursor.execute("PRAGMA database_list").fetchone()[2]
    cursor.close()
    if path:  # a file (not :memory:): writers queue on a lock file next to it
        connection_record.info["writer_queue"] = WriterQueue(f"{path}-writers")


class WriterQueue:
    """SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps
    and retries (1, 2, 5, 10, ... 100 ms apart): under load, writers spend most of their
    time asleep while the lock is free. Our writers queue on an advisory lock on a file
    next to the database first (``flock``, per connection: across processes and
    threads), polled every millisecond at most, so the next one starts when the last one
    ends; SQLite's busy timeout is only met by writers outside the application."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a+b")  # noqa: SIM115 - open as long as the connection
        self.held = False

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sa.exc.OperationalError(
                        "BEGIN IMMEDIATE", {}, sqlite3.OperationalError(
                            "database is locked (waited for other writers)")) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
            else:
                self.held = True
                return

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self.file, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        self.file.close()


def _writer_done(conn):
    """The transaction ends (its COMMIT or ROLLBACK comes next): the next writer may go."""
    queue = conn.connection.info.get("writer_queue") if conn.dialect.name == "sqlite" else None
    if queue is not None:
        queue.release()


def _writer_checked_in(dbapi_connection, connection_record):
    queue = connection_record.info.get("writer_queue") if connection_record else None
    if queue is not None:
        queue.release()


def _writer_closed(dbapi_connection, connection_record):
    queue = connection_record.info.pop("writer_queue", None)
    if queue is not None:
        queue.close()


#: Requests with these methods read only (a view that writes anyway says so first:
#: ``crowdfund.locking.write_transaction``).
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteInReadTransaction(RuntimeError):
    """A statement that writes, in a transaction begun as read-only (testing only)."""


def _read_only_request(dialect: str) -> bool:
    """A transaction begun now reads only: in a GET (or HEAD) request, and on SQLite in a
    request whose view reads first (``web.reads_first``), until it says it writes
    (``locking.write_transaction``)."""
    if not has_request_context() or g.get("db_writes", False):
        return False
    return request.method in READ_ONLY_METHODS or (
        dialect == "sqlite" and g.get("db_reads_first", False))


def _begin(conn):
    """Reading requests' transactions read only; the others may write.

    SQLite: a writing transaction takes the write lock at BEGIN; a reading one none.
    A deferred transaction that reads and then writes fails with "database is locked"
    when another writer committed meanwhile (busy_timeout does not help it), so every
    transaction that may write begins IMMEDIATE and waits its turn: that serialises
    conditional updates. Reading requests (GET, HEAD) begin a plain, deferred
    transaction instead, which in WAL mode never waits for a writer: pages stay fast
    while a settlement or a big close writes. In testing, a write in it raises.

    PostgreSQL: a reading request's transaction is ``BEGIN READ ONLY`` (psycopg sends it
    with the first statement: no extra round trip), so a write in it fails there too,
    and ``end_request`` may end it with COMMIT: a ROLLBACK would make psycopg forget
    the connection's prepared statements, and every page would plan its queries again.

    A GET that writes must say so before it starts (``locking.write_transaction``).
    """
    read_only = _read_only_request(conn.dialect.name)
    conn.info["read_only"] = read_only
    if conn.dialect.name == "sqlite":
        queue = None if read_only else conn.connection.info.get("writer_queue")
        if queue is not None:
            queue.acquire(SQLITE_BUSY_SECONDS)
        try:
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
        except BaseException:
            if queue is not None:
                queue.release()
            raise
    elif conn.dialect.driver == "psycopg":
        raw = conn.connection.dbapi_connection
        if raw.read_only != read_only:
            raw.read_only = read_only  # taken at psycopg's next BEGIN


def end_request(session, error: BaseException | None) -> None:
    """At the end of a request (before the session is removed): a read-only transaction
    that went well is committed (it wrote nothing; see ``_begin``), anything else is
    left to the usual rollback."""
    if error is not None or not session.in_transaction():
        return
    if session.connection().info.get("read_only") and not (
            session.new or session.dirty or session.deleted):
        try:
            session.commit()
        except sa.exc.SQLAlchemyError:  # the rollback that follows cleans up
            log.warning("could not end a read-only transaction", exc_info=True)


def _sqlite_no_write_in_read(conn, cursor, statement, parameters, context, executemany):
    if conn.dialect.name != "sqlite" or not conn.info.get("read_only") or \
            not statement.lstrip().upper().startswith(_WRITES):
        return
    if current_app.config.get("SQLITE_STRICT_READS"):
        raise WriteInReadTransaction(
            f"{request.method} {request.endpoint} writes in a read-only transaction: call "
            "crowdfund.locking.write_transaction() (or use @writes_on_get) before it reads")
    log.warning("%s %s writes in a read-only SQLite transaction (may fail when busy)",
                request.method, request.endpoint)


def install(engine: Engine) -> None:
    """Our engine's behaviour (above): SQLite's pragmas, writer queue and read-only
    transactions, PostgreSQL's read-only reads. On this engine only: another engine in the
    process (a bare app in ``bench/``) keeps SQLAlchemy's defaults."""
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "commit", _writer_done)
    event.listen(engine, "rollback", _writer_done)
    event.listen(engine, "checkin", _writer_checked_in)
    event.listen(engine, "close", _writer_closed)
    event.listen(engine, "before_cursor_execute", _sqlite_no_write_in_read)
