"""SQLite: pages read without the write lock, so a long writer never stops the site."""

import sqlite3
import threading

import pytest
from flask import g

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import WriteInReadTransaction
from crowdfund.extensions import db
from crowdfund.locking import write_transaction
from tests.factories import count_queries, make_campaign

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def writer(app):
    """Another connection holding SQLite's write lock (a settlement in the middle of a
    batch) once ``.execute("BEGIN IMMEDIATE")`` is called, released at the end."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


def test_pages_answer_while_another_process_holds_the_write_lock(app, client, session,
                                                                   writer):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    session.commit()
    writer.execute("BEGIN IMMEDIATE")
    # Before: every transaction began IMMEDIATE and these waited 30 s for the lock, then 500.
    for path in ("/", "/discover", f"/campaigns/{campaign.slug}"):
        assert client.get(path).status_code == 200


def test_a_writing_request_still_waits_for_the_lock(app, session, writer):
    writer.execute("BEGIN IMMEDIATE")
    done = threading.Event()

    def post():
        with app.test_request_context("/", method="POST"):
            db.session.execute(db.text("UPDATE campaigns SET staff_pick = staff_pick"))
            db.session.rollback()
            done.set()

    thread = threading.Thread(target=post)
    thread.start()
    assert not done.wait(0.5)  # BEGIN IMMEDIATE: queued behind the writer
    writer.execute("ROLLBACK")
    thread.join(30)
    assert done.is_set()


def test_a_get_that_writes_without_saying_so_fails_in_tests(app, session):
    with app.test_request_context("/"):
        db.session.execute(db.text("SELECT 1"))
        with pytest.raises(WriteInReadTransaction, match="GET main.index writes in a read-only "
                                                         "transaction"):
            db.session.execute(db.text("UPDATE campaigns SET staff_pick = staff_pick"))
        db.session.rollback()


def test_write_transaction_ends_the_read_and_takes_the_lock(app, session):
    with app.test_request_context("/"):
        db.session.execute(db.text("SELECT 1"))
        assert db.session.connection().info["read_only"]
        write_transaction()
        db.session.execute(db.text("UPDATE campaigns SET staff_pick = staff_pick"))
        assert not db.session.connection().info["read_only"] and g.db_writes
        db.session.rollback()


# --- a view that reads first (the pledge POST) ------------------------------------------


@pytest.fixture
def pledging(app, client, auth, session):
    from tests.factories import make_tier, make_user

    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=0)
    tier = make_tier(campaign, minimum_minor=2500, limit=5)
    backer = make_user()
    session.commit()
    auth.login_as(backer)
    return campaign, tier


def test_a_pledge_with_errors_never_waits_for_the_write_lock(client, pledging, writer):
    campaign, tier = pledging
    writer.execute("BEGIN IMMEDIATE")  # a settlement writing, say
    response = client.post(f"/campaigns/{campaign.slug}/pledge",
                           data={"tier": str(tier.id), "amount": "abc"})
    assert response.status_code == 400 and "Enter an amount" in response.get_data(as_text=True)


def test_a_pledge_takes_the_write_lock_once(app, client, pledging):
    """Read, then one writing transaction, then the redirect: nothing after the commit
    begins another (reading the new pledge's id after it did, and queued for the lock
    again)."""
    campaign, tier = pledging
    with count_queries(app) as statements:
        response = client.post(f"/campaigns/{campaign.slug}/pledge",
                               data={"tier": str(tier.id), "amount": "30"})
    assert response.status_code == 302 and "/card" in response.location
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert statements[-1].startswith("UPDATE")  # the unit claimed last, then COMMIT


def test_the_card_page_takes_the_write_lock_once(app, client, pledging):
    """It saves the SetupIntent it makes, then shows the page from what it has (rendering
    after the commit began another writing transaction to read the pledge again)."""
    campaign, tier = pledging
    response = client.post(f"/campaigns/{campaign.slug}/pledge",
                           data={"tier": str(tier.id), "amount": "30"})
    with count_queries(app) as statements:
        page = client.get(response.location)
    assert page.status_code == 200 and b"card-element" in page.data
    assert statements.count("BEGIN IMMEDIATE") == 1


def test_the_rules_are_read_again_under_the_lock(app, client, pledging, writer, monkeypatch):
    """A pledge read its campaign live; another writer ends the campaign before this one
    gets the lock: the pledge is refused (the campaign is read again), nothing written."""
    import sqlalchemy as sa

    from crowdfund import db as db_module
    from crowdfund.pledges.models import Pledge

    campaign, tier = pledging
    writer.execute("BEGIN IMMEDIATE")
    waiting = threading.Event()
    acquire = db_module.WriterQueue.acquire

    def noted(self, timeout):
        waiting.set()  # the pledge read everything and now queues to write
        return acquire(self, timeout)

    monkeypatch.setattr(db_module.WriterQueue, "acquire", noted)
    answer = {}

    def pledge():
        answer["response"] = client.post(f"/campaigns/{campaign.slug}/pledge",
                                         data={"tier": str(tier.id), "amount": "30"})

    thread = threading.Thread(target=pledge)
    thread.start()
    assert waiting.wait(10)
    writer.execute("UPDATE campaigns SET status = 'failed' WHERE id = ?", (campaign.id,))
    writer.execute("COMMIT")
    thread.join(30)
    assert answer["response"].status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0


def test_writers_queue_and_the_next_starts_when_the_last_ends(app, session):
    """Our writers wait on the queue (not SQLite's sleeping retries); one that waits longer
    than the busy timeout gets "database is locked"."""
    from sqlalchemy.exc import OperationalError

    from crowdfund import db as db_module

    session.commit()
    engine = db.engine
    first = engine.connect()
    first.begin()
    first.exec_driver_sql("UPDATE campaigns SET staff_pick = staff_pick")
    started = threading.Event()

    def second():
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("UPDATE campaigns SET staff_pick = staff_pick")
            started.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not started.wait(0.3)  # queued behind the first
    first.commit()
    thread.join(10)
    assert started.is_set()
    first.begin()  # holds the queue again
    try:
        queue = db_module.WriterQueue(engine.url.database + "-writers")
        with pytest.raises(OperationalError, match="database is locked"):
            queue.acquire(0.05)
        queue.close()
    finally:
        first.rollback()
        first.close()


def test_only_our_engine_is_tuned(app, tmp_path):
    """Our pragmas, writer queue and read-only transactions are installed on the app's
    engine, not on every engine of the process (the bare baseline apps in bench/)."""
    import sqlalchemy as sa

    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    other = sa.create_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    with other.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert "writer_queue" not in conn.connection.info
    other.dispose()
