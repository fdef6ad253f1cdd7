"""A person's data follows the person, not an address: Grace moves to a new address and
Ada later takes Grace's old one. Each one's "Download my data" holds their own mail and
sign-in attempts only, and closing Grace's account erases what went to every address she
had."""

from __future__ import annotations

import json

import sqlalchemy as sa

from crowdfund.auth import tokens
from crowdfund.auth.models import AccountToken, TokenPurpose
from crowdfund.extensions import db
from tests.factories import PASSWORD, every_string_containing

OLD, NEW = "grace@old.example.com", "grace@new.example.com"


def _register(client, email: str, name: str, ip: str):
    response = client.post("/register", environ_base={"REMOTE_ADDR": ip}, data={
        "display_name": name, "email": email, "password": PASSWORD, "confirm": PASSWORD})
    assert response.location == "/register/sent"


def _open_latest_link(app, client, email: str) -> None:
    """Open the newest confirmation link sent to ``email`` (as its owner would)."""
    with app.app_context():
        row = db.session.scalar(sa.select(AccountToken).where(
            AccountToken.email == email, AccountToken.purpose == TokenPurpose.VERIFY_EMAIL)
            .order_by(AccountToken.id.desc()))
        secret = tokens.secret_of(row)
    assert client.post(f"/account/confirm/{secret}").status_code == 302


def _grace_moves(app, client, auth) -> None:
    """Grace registers at OLD, confirms, signs in (one wrong password first), moves to NEW."""
    _register(client, OLD, "Grace Hopper", "10.0.0.1")
    _open_latest_link(app, client, OLD)
    assert auth.login(OLD, "not her password").status_code == 401
    auth.login(OLD)
    asked = client.post("/account/email", data={"email": NEW, "password": PASSWORD})
    assert asked.status_code == 302
    _open_latest_link(app, client, NEW)  # OLD is told it is no longer hers


def _download(client) -> dict:
    response = client.post("/account/data/download")
    assert response.status_code == 200
    return json.loads(response.data)


def test_each_download_holds_only_its_own_mail_and_sign_in_attempts(app, client, auth):
    _grace_moves(app, client, auth)
    grace = _download(client)
    auth.logout()
    assert auth.login(OLD).status_code == 401  # someone tries OLD: no account has it now
    _register(client, OLD, "Ada Lovelace", "10.0.0.2")
    _open_latest_link(app, client, OLD)
    auth.login(OLD)
    ada = _download(client)
    assert ada["account"]["email"] == OLD
    assert [(e["kind"], e["subject"]) for e in ada["emails"]] == [
        ("account_verify_email", "Confirm your email address")]
    assert [a["succeeded"] for a in ada["sign_in_attempts"]] == [True]
    assert "Grace" not in json.dumps(ada)
    assert [e["kind"] for e in grace["emails"]] == [
        "account_verify_email", "account_verify_email", "email_changed"]
    assert [a["succeeded"] for a in grace["sign_in_attempts"]] == [False, True]


def test_closing_after_a_move_erases_what_went_to_every_address(app, client, auth):
    _grace_moves(app, client, auth)
    closed = client.post("/account/close", data={"password": PASSWORD})
    assert closed.status_code == 302 and closed.location == "/"
    with app.app_context():
        assert every_string_containing([OLD, NEW, "Grace Hopper", "Hopper"]) == []
