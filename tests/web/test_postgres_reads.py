"""PostgreSQL: reading requests read in READ ONLY transactions that end with COMMIT.

A ROLLBACK makes psycopg forget the connection's prepared statements; ending reads with
it (as a bare Flask-SQLAlchemy app does) means every page plans its queries again.
"""

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from crowdfund.campaigns.models import Campaign
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
    campaign = make_campaign(status=CampaignStatus.LIVE)
    session.commit()
    assert campaign.staff_pick is False
    with app.test_request_context("/"):
        read_only = sa.text("SHOW transaction_read_only")
        assert db.session.scalar(read_only) == "on"  # a GET begins reading only
        write_transaction()
        assert db.session.scalar(read_only) == "off"
        written = db.session.execute(sa.text(
            "UPDATE campaigns SET staff_pick = true WHERE id = :id"), {"id": campaign.id})
        assert written.rowcount == 1
        db.session.commit()
    session.expire_all()
    assert session.get(Campaign, campaign.id).staff_pick is True


def test_pages_end_with_commit_and_keep_their_prepared_statements(app, client, auth,
                                                                  session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    reader = make_user()
    session.commit()
    auth.login_as(reader)
    page = f"/campaigns/{campaign.slug}"
    client.get(page)  # the session's "last seen" is written now, not during the count
    ends, runs = [], {}  # COMMIT or ROLLBACK; psycopg connection -> campaign queries run
    with app.app_context():
        engine = db.engine

    def commit(conn):
        ends.append("COMMIT")

    def rollback(conn):
        ends.append("ROLLBACK")

    def executed(conn, cursor, statement, *args):
        if "FROM campaigns" in statement:
            raw = conn.connection.dbapi_connection
            runs[raw] = runs.get(raw, 0) + 1

    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    event.listen(engine, "after_cursor_execute", executed)
    try:  # psycopg prepares a statement on its 5th run on a connection (the pool has several)
        for _ in range(200):
            assert client.get(page).status_code == 200
            if max(runs.values(), default=0) >= 16:  # two queries of each page read it
                break
    finally:
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)
        event.remove(engine, "after_cursor_execute", executed)
    assert ends and set(ends) == {"COMMIT"}
    busiest = max(runs, key=runs.get)
    with busiest.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements "
                       "WHERE statement LIKE '%FROM campaigns%'")
        prepared = cursor.fetchone()[0]
    busiest.rollback()
    assert prepared >= 1, (list(runs.values()), busiest.prepare_threshold, len(ends))
