"""PostgreSQL: reading requests read in READ ONLY transactions that end with COMMIT.

A ROLLBACK makes psycopg forget the connection's prepared statements; ending reads with
it (as a bare Flask-SQLAlchemy app does) means every page plans its queries again.
"""

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from crowdfund.locking import write_transaction
from tests.factories import make_campaign, make_user

pytestmark = pytest.mark.postgres_only


def test_a_get_reads_in_a_read_only_transaction(app, session):
    with app.test_request_context("/"):
        with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
            db.session.execute(sa.text("UPDATE campaigns SET staff_pick = staff_pick"))
        db.session.rollback()
    with app.test_request_context("/", method="POST"):
        db.session.execute(sa.text("UPDATE campaigns SET staff_pick = staff_pick"))
        db.session.rollback()


def test_a_get_that_says_it_writes_may_write(app, session):
    with app.test_request_context("/"):
        db.session.execute(sa.text("SELECT 1"))
        write_transaction()
        db.session.execute(sa.text("UPDATE campaigns SET staff_pick = staff_pick"))
        db.session.rollback()


def test_pages_end_with_commit_and_keep_their_prepared_statements(app, client, auth,
                                                                  session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    reader = make_user()
    session.commit()
    auth.login_as(reader)
    page = f"/campaigns/{campaign.slug}"
    client.get(page)  # the session's "last seen" is written now, not during the count
    ends, connections = [], set()
    with app.app_context():
        engine = db.engine

    def commit(conn):
        ends.append("COMMIT")
        connections.add(conn.connection.dbapi_connection)

    def rollback(conn):
        ends.append("ROLLBACK")

    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    try:
        for _ in range(8):  # psycopg prepares a statement on its 5th run
            assert client.get(page).status_code == 200
    finally:
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)
    assert ends and set(ends) == {"COMMIT"}
    prepared = 0
    for raw in connections:
        with raw.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements "
                           "WHERE statement LIKE '%FROM campaigns%'")
            prepared += cursor.fetchone()[0]
        raw.rollback()
    assert prepared >= 1
