"""Ids are never handed out twice: closing an account deletes its emailed links
(``account_tokens`` rows), and the people who register afterwards still get theirs (the
outbox's dedupe key of a link names its row's id; SQLite without AUTOINCREMENT gave a
deleted highest id out again, and the new person's message was dropped as a duplicate)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from tests.factories import PASSWORD

PEOPLE = ("ada@example.com", "grace@example.com", "katherine@example.com")


def _register(client, email: str, ip: str):
    return client.post("/register", environ_base={"REMOTE_ADDR": ip}, data={
        "display_name": email.split("@")[0].title(), "email": email, "password": PASSWORD,
        "confirm": PASSWORD})


def _links_to(app, email: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMessage.subject).where(
            OutboxMessage.to_email == email, OutboxMessage.kind == "account_verify_email")))


def test_people_who_register_after_an_account_closed_get_their_links(app, client, auth):
    first, *later = PEOPLE
    assert _register(client, first, "10.0.0.1").location == "/register/sent"
    assert len(_links_to(app, first)) == 1
    auth.login(first)
    closed = client.post("/account/close", data={"password": PASSWORD})
    assert closed.status_code == 302 and closed.location == "/"
    for n, email in enumerate(later, start=2):
        assert _register(client, email, f"10.0.0.{n}").location == "/register/sent"
    assert {email: len(_links_to(app, email)) for email in later} == dict.fromkeys(later, 1)
