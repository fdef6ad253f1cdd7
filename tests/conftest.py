"""Test fixtures: one app and one database per session, tables emptied after each test.

The database is SQLite (a temporary file) unless ``TEST_DATABASE_URL`` names another
one, e.g. the throwaway PostgreSQL started by ``scripts/with-postgres.sh``. The schema is
built by running the Alembic migrations, so every run also tests them.

Why not roll back per test: views commit for real (one commit per request), and later
suites run the app in another thread (browser tests) and race many connections against
each other (concurrency tests); they all need committed data. Emptying the tables after
each test costs a few milliseconds on both databases.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from crowdfund import create_app
from crowdfund.config import normalise_database_url
from crowdfund.extensions import db
from tests.factories import AuthActions


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _reset_database(url: str) -> None:
    """Start from an empty database, so that the migrations build everything."""
    if url.startswith("sqlite"):
        return  # a fresh temporary file
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context (its own DB session),
    as in production. Whatever the test itself wrote is committed first, so that the
    request sees it and no open test transaction holds a lock the request waits for."""

    def open(self, *args, **kwargs):
        from flask import has_app_context

        if has_app_context() and db.session().in_transaction():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of that name: no request context is pushed around
    each test, so that requests never share the test's app context and session."""


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    _reset_database(database_url)
    app = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        "WTF_CSRF_ENABLED": False,
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _fresh_fake_gateway(request):
    """Each test gets a new in-process gateway (ids restart with the emptied tables)."""
    if "app" in request.fixturenames:
        from crowdfund.payments.fake import FakeGateway

        app = request.getfixturevalue("app")
        if app.config["PAYMENT_GATEWAY"] == "fake":
            app.extensions["payment_gateway"] = FakeGateway(app.config["STRIPE_WEBHOOK_SECRET"])


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                ))
            else:
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))  # noqa: S608 - our table names


@pytest.fixture
def session(app):
    """The Flask-SQLAlchemy session inside an app context (services, factories)."""
    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def client(app):
    """Replaces pytest-flask's client, which preserves request contexts between requests;
    ours gives each request a fresh app context instead (see IsolatedClient)."""
    return app.test_client()


@pytest.fixture
def auth(client):
    return AuthActions(client)
