"""Ids are handed out once on SQLite too: every table the migrations make has AUTOINCREMENT
on its integer primary key, and a database from before that revision is rebuilt with it,
keeping its rows (PostgreSQL's sequences never reuse an id)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import event

from crowdfund import create_app
from crowdfund import db as crowdfund_db
from crowdfund.extensions import db
from tests.factories import revision_before

BEFORE = "27b5dfa2f4cd"  # the head before tables were rebuilt with AUTOINCREMENT


def _app(path):
    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})


def _without_autoincrement(conn) -> list[str]:
    """Tables with a single INTEGER primary key (not also a foreign key) and no
    AUTOINCREMENT."""
    found = []
    for name, sql in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
            "'sqlite_%' AND name != 'alembic_version'"):
        keys = [(c[1], c[2]) for c in conn.exec_driver_sql(f'PRAGMA table_info("{name}")')
                if c[5]]
        referring = {f[3] for f in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{name}")')}
        if len(keys) == 1 and keys[0][1].upper() == "INTEGER" and keys[0][0] not in referring \
                and not re.search(r"\bAUTOINCREMENT\b", sql, re.IGNORECASE):
            found.append(name)
    return found


def test_every_table_the_migrations_make_never_reuses_ids(tmp_path):
    app = _app(tmp_path / "fresh.sqlite3")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            tables = [n for (n,) in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            assert len(tables) > 40
            assert _without_autoincrement(conn) == []


@contextmanager
def _as_before_the_fix():
    """Tables built as they were before every table got AUTOINCREMENT."""
    event.remove(sa.Table, "after_parent_attach", crowdfund_db._ids_never_reused)
    try:
        yield
    finally:
        event.listen(sa.Table, "after_parent_attach", crowdfund_db._ids_never_reused)


def test_an_older_database_is_rebuilt_with_its_rows_and_reuses_no_id(tmp_path):
    app = _app(tmp_path / "older.sqlite3")
    with app.app_context():
        with _as_before_the_fix():
            upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            assert "account_tokens" in _without_autoincrement(conn)
            for n in (1, 2, 3):
                conn.exec_driver_sql(
                    "INSERT INTO users (id, email, password_hash, display_name, bio, location, "
                    "links, is_operator, created_at, updated_at, notify_updates, "
                    "notify_comments, notify_followed, notify_marketing) VALUES "
                    "(?, ?, 'x', ?, '', '', '[]', 0, '2026-01-01 00:00:00', "
                    "'2026-01-01 00:00:00', 1, 1, 1, 0)", (n, f"p{n}@example.com", f"P{n}"))
            for n in (1, 2, 3, 4):
                conn.exec_driver_sql(
                    "INSERT INTO account_tokens (id, user_id, purpose, email, created_at, "
                    "expires_at) VALUES (?, ?, 'verify_email', ?, '2026-01-01 00:00:00', "
                    "'2026-01-02 00:00:00')", (n, min(n, 3), f"p{n}@example.com"))
            # Token 5 was named by a message, then deleted with its closed account.
            conn.exec_driver_sql(
                "INSERT INTO outbox (dedupe_key, kind, to_email, to_name, subject, text_body, "
                "html_body, created_at, attempts) VALUES ('account-link-5', "
                "'account_verify_email', 'closed-9@closed.invalid', '', 's', 't', 'h', "
                "'2026-01-01 00:00:00', 0)")
            conn.exec_driver_sql("DELETE FROM account_tokens WHERE id = 4")
        upgrade()
        with db.engine.begin() as conn:
            assert _without_autoincrement(conn) == []
            assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar() == 3
            assert [r[0] for r in conn.exec_driver_sql(
                "SELECT id FROM account_tokens ORDER BY id")] == [1, 2, 3]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            conn.exec_driver_sql(
                "INSERT INTO account_tokens (user_id, purpose, email, created_at, expires_at) "
                "VALUES (1, 'verify_email', 'p1@example.com', '2026-01-01 00:00:00', "
                "'2026-01-02 00:00:00')")
            assert conn.exec_driver_sql("SELECT max(id) FROM account_tokens").scalar() == 6
            conn.exec_driver_sql("DELETE FROM account_tokens WHERE user_id = 3")
            conn.exec_driver_sql("DELETE FROM users WHERE id = 3")
            conn.exec_driver_sql(
                "INSERT INTO users (email, password_hash, display_name, bio, location, links, "
                "is_operator, created_at, updated_at, notify_updates, notify_comments, "
                "notify_followed, notify_marketing) VALUES ('new@example.com', 'x', 'New', "
                "'', '', '[]', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1, 1, 1, 0)")
            assert conn.exec_driver_sql(
                "SELECT id FROM users WHERE email = 'new@example.com'").scalar() == 4


def test_a_migration_that_rebuilds_a_table_keeps_its_counter(tmp_path):
    """Batch operations copy a table on SQLite; its counter goes on from where it was, not
    from its highest id left (``migrations/env.py``)."""
    app = _app(tmp_path / "rebuilt.sqlite3")
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            for _ in range(3):
                conn.exec_driver_sql("INSERT INTO login_attempts (email, ip, succeeded, "
                                     "created_at) VALUES ('a@example.com', '10.0.0.1', 0, "
                                     "'2026-01-01 00:00:00')")
            conn.exec_driver_sql("DELETE FROM login_attempts WHERE id = 3")
        # This revision rebuilds login_attempts, undone and done again.
        downgrade(revision=revision_before(app, "d68b54739f86"))
        upgrade()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO login_attempts (email, ip, succeeded, created_at) "
                                 "VALUES ('a@example.com', '10.0.0.1', 0, "
                                 "'2026-01-01 00:00:00')")
            assert [r[0] for r in conn.exec_driver_sql(
                "SELECT id FROM login_attempts ORDER BY id")] == [1, 2, 4]
