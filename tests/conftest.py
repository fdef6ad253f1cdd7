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

import email
import os
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade

from crowdfund import create_app
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community import counts
from crowdfund.config import normalise_database_url
from crowdfund.extensions import db
from crowdfund.pledges import summary
from crowdfund.settlement.outcome import charged_of, collected_of
from tests.factories import (
    AuthActions,
    SettlerInTest,
    back,
    ended,
    free_port,
    make_campaign,
    make_user,
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _on_postgres() -> bool:
    return normalise_database_url(os.environ.get("TEST_DATABASE_URL", "")).startswith(
        "postgresql")


def pytest_collection_modifyitems(config, items):
    """``postgres_only`` tests (races SQLite cannot have) run in the PostgreSQL pass of
    ``make test`` only; on SQLite they are deselected, not skipped (and ``sqlite_only``
    ones, about SQLite's own locking, the other way round)."""
    other = "sqlite_only" if _on_postgres() else "postgres_only"
    kept = [item for item in items if item.get_closest_marker(other) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On PostgreSQL a ``postgres_only`` test must run: a skip of one is a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _on_postgres() and item.get_closest_marker("postgres_only"):
        report.outcome = "failed"
        report.longrepr = f"postgres_only test skipped on PostgreSQL: {report.longrepr}"


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


def _collected_differs() -> list[tuple]:
    """Campaigns whose collected total (from the kept rows) differs from the sum of their
    succeeded charge attempts."""
    differ = []
    for cid, amount in charged_of().items():
        collected = collected_of(db.session.get(Campaign, cid)).amount
        if collected != amount:
            differ.append(("collected", cid, collected, amount))
    return differ


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
        # Every test's pledges, comments and follows, however it changed them, left the
        # campaigns' kept totals and counts equal to what the tables add up to
        # (crowdfund/pledges/summary.py, crowdfund/community/counts.py).
        differ = summary.mismatches() + counts.mismatches() + _collected_differs()
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
                # Ids start again at 1, as RESTART IDENTITY does (AUTOINCREMENT's counters).
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))
    assert not differ, f"kept totals or counts differ from the tables: {differ}"


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


@pytest.fixture
def gw(app):
    """The app's in-process payment gateway (a fresh one per test)."""
    from crowdfund.payments import gateway

    return gateway()


@pytest.fixture
def settler(app, gw):
    """A settler on the fake gateway that never sleeps and ends the test's transaction
    before each of its runs."""
    return SettlerInTest(app, gw, worker="test-worker", sleep=lambda s: None)


# --- the local Stripe sandbox ----------------------------------------------------------


class Sandbox:
    """A running sandbox process; ``reset()`` wipes its data, ``faults()`` injects errors."""

    def __init__(self, base: str) -> None:
        self.base = base

    def reset(self) -> None:
        import requests

        requests.delete(f"{self.base}/_config/data", timeout=10).raise_for_status()

    def faults(self, *rules: dict) -> None:
        import requests

        requests.post(f"{self.base}/_config/faults", json={"rules": list(rules)},
                      timeout=10).raise_for_status()

    def get(self, path: str) -> dict:
        """Read an object back from the sandbox with the secret key."""
        import requests

        response = requests.get(f"{self.base}{path}", timeout=10,
                                headers={"Authorization": "Bearer sk_test_suite"})
        response.raise_for_status()
        return response.json()

    def confirm_setup(self, client_secret: str, number: str | None = None) -> dict:
        """What Stripe.js's confirmCardSetup sends from the browser (publishable key only);
        without ``number``, "Complete authentication" after a 3-D Secure challenge."""
        from crowdfund.payments.sandbox_client import confirm_setup_as_browser

        return confirm_setup_as_browser(self.base, client_secret, number,
                                        publishable_key="pk_test_suite")


@pytest.fixture(scope="session")
def sandbox():
    """One sandbox process for the whole session, on a free port of 127.0.0.1."""
    import subprocess
    import sys
    import time

    import requests

    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "crowdfund.payments.sandbox", "--port", str(port), "--faults"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/js.stripe.com/v3/", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the sandbox did not start: " + proc.stderr.read().decode())
        time.sleep(0.1)
    yield Sandbox(base)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def stripe_sandbox(app, sandbox):
    """The app talks to the sandbox through the real Stripe adapter for this test."""
    from crowdfund.payments.stripe_gateway import StripeGateway

    sandbox.reset()
    gateway = StripeGateway(secret_key="sk_test_suite", publishable_key="pk_test_suite",
                            webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"],
                            api_base=sandbox.base, js_url=f"{sandbox.base}/js.stripe.com/v3/",
                            max_network_retries=0)
    app.extensions["payment_gateway"] = gateway
    yield sandbox
    sandbox.faults()  # nothing left queued for the next test


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(
            envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A real SMTP server (aiosmtpd) on a free port; the app delivers to it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        yield inbox
    finally:
        controller.stop()
        app.config.update(SMTP_HOST=None, SMTP_PORT=25)


# --- shared scenes ----------------------------------------------------------------------


@pytest.fixture
def funded(app, session, gw, settler):
    """A funded campaign (its founder's identity verified: they are to be paid) after its
    charge run: two collected pledges ($100, $50) and one errored; (campaign id, pledge
    ids)."""
    campaign = make_campaign(make_user(verified=True), status=CampaignStatus.LIVE, tiers=0,
                             goal_minor=10_000)
    ids = [back(campaign, gw, "ok", "100"), back(campaign, gw, "ok", "50"),
           back(campaign, gw, "declines", "20")]
    ended(campaign)
    session.commit()
    campaign_id = campaign.id
    settler.settle(campaign_id)
    return campaign_id, ids


# --- Redis (Debian's redis-server), for what several machines share ----------------------

REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A throwaway Redis on 127.0.0.1 (no persistence), for the whole session."""
    import shutil
    import subprocess
    import time

    import redis

    if not shutil.which(REDIS_SERVER):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REDIS_SERVER} is missing; CI must install Debian's redis-server.")
        pytest.skip(f"needs Debian's redis-server at {REDIS_SERVER} "
                    "(apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(  # noqa: S603 - Debian's redis-server, on 127.0.0.1 only
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url
    client.close()
    process.terminate()
    process.wait(10)
