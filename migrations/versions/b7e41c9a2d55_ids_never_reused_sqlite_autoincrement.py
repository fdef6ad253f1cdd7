"""ids never reused: SQLite tables rebuilt with AUTOINCREMENT (a deleted highest id is not
handed out again); nothing to do on PostgreSQL, whose sequences never reuse one

Without AUTOINCREMENT SQLite gives the next row max(id) + 1, so deleting the row with the
highest id hands its id to the next one, and whatever named the old row names the new
one: closing an account deleted its emailed links (``account_tokens``), the next person's
link got the same id, and the outbox dropped their message as a duplicate of the closed
account's ``account-link-<id>``.

Each table with a single INTEGER primary key is rebuilt the way SQLite documents for
changes ALTER TABLE cannot make (https://sqlite.org/lang_altertable.html#otheralter):
foreign keys off (SQLite takes that only outside a transaction), the copy, the rows, the
old table dropped and the copy renamed, its indexes made again, ``PRAGMA
foreign_key_check``, foreign keys on. The rows keep their ids, and each table's counter
starts after its highest id now; the links' counter after the highest link the outbox
ever named too (a link deleted with its account is not given out again).

Revision ID: b7e41c9a2d55
Revises: 27b5dfa2f4cd
Create Date: 2026-12-03 10:00:00.000000

"""
from contextlib import contextmanager

from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7e41c9a2d55'
down_revision = '27b5dfa2f4cd'
branch_labels = None
depends_on = None

#: The outbox's dedupe key of an emailed link: this prefix and the link's row id.
LINK_KEY = "account-link-"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL: sequences never hand an id out twice
    tables = [name for name in _tables(bind) if _needs_autoincrement(bind, name)]
    with _foreign_keys_off(bind):
        for name in tables:
            with op.batch_alter_table(name, recreate="always",
                                      table_kwargs={"sqlite_autoincrement": True}):
                pass
        _links_start_after_the_outbox(bind)


def downgrade():
    # Kept: the schema before this revision works the same with ids that are never reused.
    pass


def _tables(bind) -> list[str]:
    return [name for (name,) in bind.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version' ORDER BY name")]


def _needs_autoincrement(bind, table: str) -> bool:
    """A single INTEGER primary key (that is not also a foreign key), without
    AUTOINCREMENT."""
    keys = [(name, kind) for _cid, name, kind, _nn, _default, pk
            in bind.exec_driver_sql(f'PRAGMA table_info("{table}")') if pk]
    if len(keys) != 1 or keys[0][1].upper() != "INTEGER":
        return False
    referring = {row[3] for row in bind.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")')}
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                               "name = ?", (table,)).scalar()
    return keys[0][0] not in referring and "AUTOINCREMENT" not in sql.upper()


@contextmanager
def _foreign_keys_off(bind):
    """Foreign keys off while the block rebuilds tables (dropping a table others refer
    to must not touch them), in a transaction of its own; checked before it commits.
    The migrations' transaction is committed first (with the revisions before this one)
    and begun again after, for the version stamp."""
    if bind.connection.dbapi_connection.in_transaction:
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the rebuild left rows without their parents: {broken[:10]}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")


def _links_start_after_the_outbox(bind) -> None:
    """The next emailed link's id comes after every link the outbox names (those of
    closed accounts were deleted, their messages kept)."""
    named = bind.exec_driver_sql(
        f"SELECT max(CAST(substr(dedupe_key, {len(LINK_KEY) + 1}) AS INTEGER)) FROM outbox "
        f"WHERE dedupe_key LIKE '{LINK_KEY}%'").scalar()
    if not named:
        return
    current = bind.exec_driver_sql(
        "SELECT seq FROM sqlite_sequence WHERE name = 'account_tokens'").scalar()
    if current is None:
        bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) "
                             "VALUES ('account_tokens', ?)", (named,))
    elif current < named:
        bind.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = 'account_tokens'",
                             (named,))
