"""What the benchmarks share: a fresh schema and a free port."""

from __future__ import annotations

import socket


def fresh_schema(app) -> None:
    """The schema made again by the migrations (PostgreSQL: dropped first; SQLite: the
    benchmarks use a new file)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from crowdfund.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
