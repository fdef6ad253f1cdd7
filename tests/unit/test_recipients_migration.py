"""The migration that gives mail and sign-in attempts their person matches old rows only
where the person can be told for sure (by what the dedupe key names, or by an address its
account has had since it was opened), leaves the rest without one, and erases the mail of
accounts closed since."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from crowdfund import create_app
from crowdfund.db import UTCDateTime
from crowdfund.extensions import db
from tests.factories import revision_before

REVISION = "d68b54739f86"


def _at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the suite's kind (a SQLite file, or a new PostgreSQL database
    on the suite's server), for migrating step by step."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    url = sa.engine.make_url(database_url)
    name = f"scratch_{secrets.token_hex(4)}"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        server.dispose()


users = sa.table("users", *(sa.column(c) for c in (
    "id", "email", "password_hash", "display_name", "bio", "location")),
    sa.column("links", sa.JSON), sa.column("is_operator", sa.Boolean),
    *(sa.column(c, sa.Boolean) for c in ("notify_updates", "notify_comments",
                                         "notify_followed", "notify_marketing")),
    *(sa.column(c, UTCDateTime) for c in ("created_at", "updated_at", "closed_at")))
links = sa.table("account_tokens", *(sa.column(c) for c in ("id", "user_id", "purpose",
                                                           "email")),
                 *(sa.column(c, UTCDateTime) for c in ("created_at", "expires_at", "used_at")))
outbox = sa.table("outbox", *(sa.column(c) for c in (
    "dedupe_key", "kind", "to_email", "to_name", "subject", "text_body", "html_body",
    "attempts")), sa.column("created_at", UTCDateTime))
attempts = sa.table("login_attempts", sa.column("email"), sa.column("ip"),
                    sa.column("succeeded", sa.Boolean), sa.column("created_at", UTCDateTime))


USERS = [  # id, email, created on day, closed
    (1, "grace@new.example.com", 1, False),  # moved from grace@old on day 5
    (2, "grace@old.example.com", 6, False),  # Ada took Grace's old address on day 6
    (3, "closed-3@closed.invalid", 1, True),
    (4, "plain@example.com", 1, False),  # never asked for another address
]
LINKS = [  # id, user, address, made on day
    (1, 1, "grace@old.example.com", 1), (2, 1, "grace@new.example.com", 5),
    (3, 2, "grace@old.example.com", 6)]
MAIL = {  # dedupe key: (address, day, name, the person it should get)
    "account-link-1": ("grace@old.example.com", 1, "Grace", 1),
    "email-changed-1-2026-01-05T10:00:00": ("grace@old.example.com", 5, "Grace", 1),
    "account-link-3": ("grace@old.example.com", 6, "Ada", 2),
    "address-claimed-4-2026-01-02T00:00:00": ("plain@example.com", 2, "Plain", 4),
    "legacy-plain": ("plain@example.com", 2, "Plain", 4),
    "legacy-ada": ("grace@old.example.com", 7, "Ada", 2),
    "legacy-before-ada": ("grace@old.example.com", 3, "Grace", None),
    "legacy-grace-moved": ("grace@new.example.com", 6, "Grace", None),
    "password-changed-3-2026-01-02T00:00:00": ("old3@example.com", 2, "Closed Person", 3),
    "account-link-9": ("someone@example.com", 2, "Someone", None),
}
ATTEMPTS = [  # typed, day, the person it should get
    ("plain@example.com", 2, 4), ("2fa:plain@example.com", 2, 4),
    ("grace@old.example.com", 3, None), ("nobody@example.com", 2, None)]


def _insert_old_rows(conn) -> None:
    conn.execute(sa.insert(users), [
        {"id": uid, "email": email, "password_hash": "x", "display_name": f"P{uid}", "bio": "",
         "location": "", "links": [], "is_operator": False, "notify_updates": True,
         "notify_comments": True, "notify_followed": True, "notify_marketing": False,
         "created_at": _at(day), "updated_at": _at(day), "closed_at": _at(8) if closed else None}
        for uid, email, day, closed in USERS])
    conn.execute(sa.insert(links), [
        {"id": tid, "user_id": uid, "purpose": "verify_email", "email": email,
         "created_at": _at(day), "expires_at": _at(day + 1), "used_at": _at(day)}
        for tid, uid, email, day in LINKS])
    conn.execute(sa.insert(outbox), [
        {"dedupe_key": key, "kind": "test", "to_email": email, "to_name": name,
         "subject": f"Hello {name}", "text_body": f"Dear {name}", "html_body": "",
         "attempts": 0, "created_at": _at(day)}
        for key, (email, day, name, _person) in MAIL.items()])
    conn.execute(sa.insert(attempts), [
        {"email": email, "ip": "10.0.0.1", "succeeded": False, "created_at": _at(day)}
        for email, day, _person in ATTEMPTS])


def test_old_rows_get_their_person_only_where_it_is_certain(scratch_url):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade(revision=revision_before(app, REVISION))
        with db.engine.begin() as conn:
            _insert_old_rows(conn)
        upgrade(revision=REVISION)
        with db.engine.begin() as conn:
            mail = {key: (person, email, name, subject) for key, person, email, name, subject
                    in conn.execute(sa.text("SELECT dedupe_key, recipient_id, to_email, "
                                            "to_name, subject FROM outbox"))}
            typed = [tuple(row) for row in conn.execute(sa.text(
                "SELECT email, user_id FROM login_attempts ORDER BY id"))]
        db.engine.dispose()
    assert {key: row[0] for key, row in mail.items()} == {
        key: person for key, (*_rest, person) in MAIL.items()}
    assert typed == [(email, person) for email, _day, person in ATTEMPTS]
    erased = mail["password-changed-3-2026-01-02T00:00:00"]
    assert erased[1:] == ("closed-3@closed.invalid", "", "[Erased: the account was closed.]")
    assert mail["legacy-before-ada"][1:] == ("grace@old.example.com", "Grace", "Hello Grace")
