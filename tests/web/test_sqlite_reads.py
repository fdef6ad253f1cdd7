"""SQLite: pages read without the write lock, so a long writer never stops the site."""

import sqlite3
import threading

import pytest
from flask import g

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import WriteInReadTransaction
from crowdfund.extensions import db
from crowdfund.locking import write_transaction
from tests.factories import make_campaign

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
        with pytest.raises(WriteInReadTransaction):
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
