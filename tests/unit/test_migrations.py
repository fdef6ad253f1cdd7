"""Alembic: one head, and upgrading an empty database builds exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from crowdfund import create_app
from crowdfund.extensions import db, migrate


def _script(app):
    config = migrate.get_config(directory=app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config)


def test_single_head(app):
    with app.app_context():
        heads = _script(app).get_heads()
    assert len(heads) == 1, heads


def _diff(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_session_database_matches_models(app):
    """The suite's own database (SQLite or PostgreSQL) was built by `flask db upgrade`."""
    assert _diff(app) == []


def test_upgrade_from_empty_downgrade_and_again(tmp_path):
    app = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    with app.app_context():
        upgrade()
        assert _diff(app) == []
        downgrade(revision="base")
        tables = set(db.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
    assert _diff(app) == []
