"""Addresses people own and a way back in, through the pages and the real SMTP test
server: registration (one answer whether or not the address is taken), confirming an
address, what an unconfirmed account may do, a new password by email, changing the
address. No link's secret is stored (the outbox keeps a marker) or logged."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import AccountToken, User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from crowdfund.notifications.outbox import deliver_due
from crowdfund.pledges.forms import NO_REWARD
from crowdfund.pledges.models import Pledge
from tests.factories import PASSWORD, make_campaign, make_user, race

NEW_PASSWORD = "lantern orchard velvet"


def _deliver(app, smtp) -> list:
    """Send what the outbox holds to the SMTP test server; every message received so far."""
    with app.app_context():
        deliver_due(utcnow() + timedelta(seconds=1))
        db.session.commit()
    return smtp.messages


def _mail_to(smtp, address: str, subject: str):
    found = [m for to, m in smtp.messages if address in to and m["Subject"] == subject]
    assert found, [(to, m["Subject"]) for to, m in smtp.messages]
    return found[-1]


def _link(message, path: str) -> str:
    """The path of the link to ``path`` in a delivered message's text."""
    text = message.get_body(("plain",)).get_content()
    url = re.search(rf"https?://\S+{path}\S+", text).group(0)
    return urlsplit(url).path


def _register(client, email: str, password: str = PASSWORD, name: str = "Grace"):
    return client.post("/register", data={"display_name": name, "email": email,
                                          "password": password, "confirm": password})


def _user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


# --- registering and confirming --------------------------------------------------------


def test_registering_sends_a_link_that_confirms_the_address_once(app, client, auth, smtp):
    assert _register(client, "grace@example.com").location == "/register/sent"
    assert b"Check your inbox" in client.get("/register/sent").data
    _deliver(app, smtp)
    message = _mail_to(smtp, "grace@example.com", "Confirm your email address")
    path = _link(message, "/account/confirm/")
    page = client.get(path)  # a mail scanner opening it confirms nothing
    assert page.status_code == 200 and b"Confirm my email address" in page.data
    assert _user(app, "grace@example.com").email_verified_at is None
    confirmed = client.post(path)
    assert confirmed.status_code == 302 and confirmed.location == "/login"
    assert _user(app, "grace@example.com").email_verified_at is not None
    again = client.post(path)
    assert again.status_code == 400 and b"expired or was already used" in again.data
    assert auth.login("grace@example.com").status_code == 302
    assert b"Confirm your email address" not in client.get("/").data  # no banner now


def test_registration_answers_the_same_for_a_taken_address(app, client, session, smtp):
    owner = make_user("grace@example.com", name="Grace")
    session.commit()
    taken = _register(client, "Grace@Example.com", password="a different secret here")
    fresh = _register(client, "newcomer@example.com", password="a different secret here")
    assert (taken.status_code, taken.location, taken.data) == (
        fresh.status_code, fresh.location, fresh.data)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2
        assert db.session.get(User, owner.id).password_hash == owner.password_hash
    _deliver(app, smtp)
    warned = _mail_to(smtp, "grace@example.com", "Someone tried to use your email address")
    assert "/password/forgot" in warned.get_body(("plain",)).get_content()
    _mail_to(smtp, "newcomer@example.com", "Confirm your email address")


def test_a_confirmation_link_expires_after_24_hours(app, client, smtp):
    _register(client, "grace@example.com")
    path = _link(_mail_to_after_delivery(app, smtp, "Confirm your email address"),
                 "/account/confirm/")
    with app.app_context():
        row = db.session.scalar(sa.select(AccountToken))
        assert row.expires_at - row.created_at == timedelta(hours=24)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    assert _user(app, "grace@example.com").email_verified_at is None


def _mail_to_after_delivery(app, smtp, subject: str, address: str = "grace@example.com"):
    _deliver(app, smtp)
    return _mail_to(smtp, address, subject)


def test_an_unconfirmed_account_browses_and_follows_but_does_not_back_comment_or_submit(
        app, client, auth, session):
    from crowdfund.community.models import Comment, Follow

    person = make_user(email_confirmed=False)
    live = make_campaign(status=CampaignStatus.LIVE)
    draft = make_campaign(person)
    session.commit()
    auth.login_as(person)
    assert b"Confirm your email address" in client.get(f"/campaigns/{live.slug}").data
    client.post(f"/campaigns/{live.slug}/follow")
    refused = [client.post(f"/campaigns/{live.slug}/pledge",
                           data={"amount": "50", "tier": NO_REWARD}, follow_redirects=True),
               client.post(f"/campaigns/{live.slug}/comments",
                           data={"body": "Hello there", "kind": "comment"},
                           follow_redirects=True),
               client.post(f"/studio/{draft.id}/submit", follow_redirects=True)]
    for response in refused:
        assert "Confirm your email address first" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 1
        for model in (Pledge, Comment):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_an_unconfirmed_investor_cannot_commit(app, client, auth, session):
    from tests.factories import investor, live_offering

    offering = live_offering()
    person = investor()
    person.email_verified_at = None
    session.commit()
    auth.login_as(person)
    response = client.post(f"/invest/{offering.slug}", data={"amount": "1000",
                                                             "confirmed": "100000"})
    assert "Confirm your email address first" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0


def test_new_links_are_limited_per_hour(app, client, auth, session, smtp):
    person = make_user("grace@example.com", email_confirmed=False)
    session.commit()
    auth.login_as(person)
    answers = [client.post("/account/confirm", follow_redirects=True).get_data(as_text=True)
               for _ in range(4)]
    assert all("We sent a new link to grace@example.com" in a for a in answers[:3])
    assert "We have sent several links this hour" in answers[3]
    assert len([m for m in _deliver(app, smtp) if m[1]["Subject"] ==
                "Confirm your email address"]) == 3
    # Only the newest link works: each new one voids the one before.
    with app.app_context():
        live = db.session.scalars(sa.select(AccountToken).where(
            AccountToken.used_at.is_(None))).all()
        assert len(live) == 1


# --- a new password by email ----------------------------------------------------------------


@pytest.fixture
def grace(session):
    user = make_user("grace@example.com", name="Grace")
    session.commit()
    return user


def test_reset_answers_the_same_and_ends_every_session(app, client, auth, grace, smtp):
    other = app.test_client()  # Grace is signed in elsewhere too
    assert other.post("/login", data={"email": "grace@example.com",
                                      "password": PASSWORD}).status_code == 302
    known = client.post("/password/forgot", data={"email": "GRACE@example.com"})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"})
    assert (known.status_code, known.location, known.data) == (
        unknown.status_code, unknown.location, unknown.data)
    assert known.location == "/password/forgot/sent"
    messages = _deliver(app, smtp)
    assert [to for to, m in messages] == [["grace@example.com"]]
    path = _link(_mail_to(smtp, "grace@example.com", "Choose a new password"),
                 "/password/reset/")
    # A refused password leaves the link usable.
    weak = client.post(path, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 400 and b"very common password" in weak.data
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"
    assert other.get("/account/profile").status_code == 302  # that session ended
    assert auth.login("grace@example.com").status_code == 401
    assert auth.login("grace@example.com", NEW_PASSWORD).status_code == 302
    assert client.post(path, data={"password": "yet another phrase", "confirm":
                                   "yet another phrase"}).status_code == 400  # used
    _deliver(app, smtp)
    told = _mail_to(smtp, "grace@example.com", "Your password was changed")
    assert "with a reset link" in told.get_body(("plain",)).get_content()


def test_a_reset_link_expires_after_an_hour(app, client, grace, smtp):
    client.post("/password/forgot", data={"email": "grace@example.com"})
    path = _link(_mail_to_after_delivery(app, smtp, "Choose a new password"),
                 "/password/reset/")
    with app.app_context():
        row = db.session.scalar(sa.select(AccountToken))
        assert row.expires_at - row.created_at == timedelta(hours=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400 and b"expired or was already used" in response.data


def test_a_reset_link_dies_when_the_password_changes(app, client, auth, grace, smtp):
    client.post("/password/forgot", data={"email": "grace@example.com"})
    path = _link(_mail_to_after_delivery(app, smtp, "Choose a new password"),
                 "/password/reset/")
    auth.login_as(grace)
    assert client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}).status_code == 302
    auth.logout()
    assert client.get(path).status_code == 400
    _deliver(app, smtp)
    told = _mail_to(smtp, "grace@example.com", "Your password was changed")
    assert "from your account settings" in told.get_body(("plain",)).get_content()


def test_reset_requests_are_limited_per_address_and_per_client(app, client, grace, smtp):
    for _ in range(5):
        assert client.post("/password/forgot",
                           data={"email": "grace@example.com"}).status_code == 302
    assert len(_deliver(app, smtp)) == 3  # beyond the address's limit: same answer, no mail
    app.config["ACCOUNT_EMAILS_PER_CLIENT"] = 8
    try:
        answers = [client.post("/password/forgot", data={"email": f"x{n}@example.com"})
                   for n in range(4)]
    finally:
        app.config["ACCOUNT_EMAILS_PER_CLIENT"] = 20
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert b"Too many requests from your network" in answers[-1].data


# --- changing the address -----------------------------------------------------------------


def test_a_new_address_is_confirmed_by_link_and_the_old_one_is_told(app, client, auth, grace,
                                                                    session, smtp):
    make_user("taken@example.com")
    session.commit()
    auth.login_as(grace)
    wrong = client.post("/account/email", data={"email": "new@example.com",
                                                "password": "not my password"})
    assert wrong.status_code == 400 and b"Your password is incorrect." in wrong.data
    asked = client.post("/account/email", data={"email": "New@Example.com",
                                                 "password": PASSWORD}, follow_redirects=True)
    assert "We sent a link to new@example.com" in asked.get_data(as_text=True)
    taken = client.post("/account/email", data={"email": "taken@example.com",
                                                 "password": PASSWORD}, follow_redirects=True)
    assert "We sent a link to taken@example.com" in taken.get_data(as_text=True)  # same
    assert _user(app, "grace@example.com") is not None  # nothing changes before the link
    _deliver(app, smtp)
    _mail_to(smtp, "taken@example.com", "Someone tried to use your email address")
    path = _link(_mail_to(smtp, "new@example.com", "Confirm your new email address"),
                 "/account/confirm/")
    assert client.post(path).status_code == 302
    assert _user(app, "grace@example.com") is None
    assert _user(app, "new@example.com").email_verified_at is not None
    _deliver(app, smtp)
    _mail_to(smtp, "grace@example.com", "Your email address was changed")


# --- no secret kept or logged ------------------------------------------------------------------


def test_no_link_secret_is_stored_or_logged(app, client, grace, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/password/forgot", data={"email": "grace@example.com"})
    _register(client, "newcomer@example.com")
    _deliver(app, smtp)
    secrets = [_link(m, "/password/reset/").rsplit("/", 1)[1] for to, m in smtp.messages
               if m["Subject"] == "Choose a new password"]
    secrets += [_link(m, "/account/confirm/").rsplit("/", 1)[1] for to, m in smtp.messages
                if m["Subject"] == "Confirm your email address"]
    assert len(secrets) == 2
    with app.app_context():
        stored = [" ".join(str(v) for v in row) for row in db.session.execute(
            sa.select(OutboxMessage.subject, OutboxMessage.text_body, OutboxMessage.html_body))]
        stored += [" ".join(str(v) for v in row) for row in db.session.execute(
            sa.select(AccountToken.__table__))]
    assert all("[[account-link:" in body for body in stored if "Choose a new" in body)
    for secret in secrets:
        assert not [s for s in stored if secret in s]
        ours = "\n".join(r.getMessage() for r in caplog.records
                          if not r.name.startswith("mail.log"))  # the test's SMTP server
        assert secret not in ours


# --- races -------------------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_a_reset_link_used_twice_at_once_works_once(app, grace):
    from crowdfund.auth import recovery, tokens
    from crowdfund.auth.models import TokenPurpose

    with app.app_context():
        row = tokens.issue(db.session.get(User, grace.id), TokenPurpose.RESET_PASSWORD,
                           grace.email, timedelta(hours=1))
        secret = tokens.secret_of(row)
        db.session.commit()
    outcomes = race(app, lambda: recovery.reset_password(secret, NEW_PASSWORD),
                    lambda: recovery.reset_password(secret, "another fresh phrase"))
    assert sorted(outcomes) == ["LinkInvalid", "ok"]


@pytest.mark.postgres_only
def test_requests_at_once_keep_to_the_addresss_limit(app, grace):
    from crowdfund.auth import recovery

    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    race(app, *[lambda: recovery.request_password_reset("grace@example.com", "10.0.0.1")
                for _ in range(6)])
    with app.app_context():
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert sent - before == 3


def test_access_logs_do_not_show_a_links_secret(app, client, caplog):
    import importlib.util
    from pathlib import Path

    from crowdfund.logs import redact

    line = 'GET /password/reset/MQ.abc-DEF_12 HTTP/1.1" 200 /account/confirm/Mg.x_y?z=1'
    assert redact(line) == ('GET /password/reset/[redacted] HTTP/1.1" 200 '
                            '/account/confirm/[redacted]?z=1')
    # The development server's request lines go through the filter.
    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s" %s', "GET /password/reset/MQ.ab "
                                       "HTTP/1.1", 200)
    assert "MQ.ab" not in caplog.text and "/password/reset/[redacted]" in caplog.text
    # gunicorn's access lines, through the logger class its config names.
    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", Path(__file__).parents[2] / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    from gunicorn.config import Config

    logger = conf.logger_class(Config())
    response = type("R", (), {"status": "200 OK", "headers": [], "response_length": 0,
                              "sent": 0})()
    request = type("Q", (), {"headers": []})()
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/password/reset/MQ.secret",
               "PATH_INFO": "/password/reset/MQ.secret", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    import datetime as dt

    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=3))
    assert "MQ.secret" not in atoms["r"] and "[redacted]" in atoms["r"]
