"""Sessions end on the server: sign-out, a password change and an operator revoke the
session row the cookies name, so a copied session or "keep me signed in" cookie stops
working in any browser. The per-address sign-in throttle counts failures in a sliding
window that a success does not reset. Production responses carry HSTS."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund import create_app
from crowdfund.auth.models import UserSession
from crowdfund.extensions import db
from tests.factories import PASSWORD, make_user

PROFILE = "/account/profile"


def signed_in(client) -> bool:
    return client.get(PROFILE).status_code == 200


def copy_cookies(app, source, names=("session", "remember_token")):
    """A second browser holding copies of ``source``'s cookies."""
    other = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def test_signing_out_ends_the_session_for_every_copy_of_its_cookies(app, client, auth,
                                                                    session):
    user = make_user()
    session.commit()
    auth.login(user.email, remember="y")
    thief = copy_cookies(app, client)
    remember_only = copy_cookies(app, client, names=("remember_token",))
    assert signed_in(thief) and signed_in(remember_only)
    auth.logout()
    assert not signed_in(client)
    assert not signed_in(thief)
    assert not signed_in(remember_only)
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert row.revoked_reason == "signed out" and row.revoked_at is not None


def test_a_password_change_ends_every_other_session(app, client, auth, session):
    user = make_user()
    session.commit()
    laptop = app.test_client()
    laptop.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    laptop_remember = copy_cookies(app, laptop, names=("remember_token",))
    auth.login_as(user)
    assert signed_in(laptop) and signed_in(laptop_remember)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "a new long passphrase",
        "confirm": "a new long passphrase"}, follow_redirects=True)
    assert "signed out everywhere else (1 other session)" in response.get_data(as_text=True)
    assert signed_in(client)
    assert not signed_in(laptop)
    assert not signed_in(laptop_remember)


def test_an_operator_ends_all_of_a_users_sessions(app, client, auth, session):
    user, operator = make_user(), make_user(operator=True)
    session.commit()
    phone, desk = app.test_client(), app.test_client()
    for browser in (phone, desk):
        browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert signed_in(browser)
    auth.login_as(operator)
    response = client.post(f"/operators/users/{user.id}/sessions/end", follow_redirects=True)
    assert "Ended 2 sessions" in response.get_data(as_text=True)
    assert not signed_in(phone) and not signed_in(desk)
    assert signed_in(client)  # the operator's own session is not touched
    # and the user can sign in again
    assert phone.post("/login", data={"email": user.email, "password": PASSWORD}
                      ).status_code == 302
    assert signed_in(phone)


def test_the_session_list_mechanism_records_the_browser(app, client, auth, session):
    user = make_user()
    session.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD},
                headers={"User-Agent": "Firefox\x00/1.0"})
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert row.user_id == user.id and row.user_agent == "Firefox/1.0"
        assert len(row.token_hash) == 64  # the token itself is not stored


def test_per_address_throttle_is_not_reset_by_the_attackers_own_account(app, client,
                                                                       session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 6)
    own = make_user()
    victims = [make_user() for _ in range(10)]
    session.commit()
    refused = None
    for n, victim in enumerate(victims):
        response = client.post("/login", data={"email": victim.email, "password": f"guess{n}"})
        if response.status_code == 429:
            refused = n
            break
        assert response.status_code == 401
        # a success of their own between every guess
        assert client.post("/login", data={"email": own.email, "password": PASSWORD}
                           ).status_code in (302, 429)
        client.post("/logout")
    assert refused == 6


def test_production_responses_carry_hsts(monkeypatch, tmp_path):
    for name, value in {"CROWDFUND_ENV": "production", "SECRET_KEY": "x" * 40,
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
                        "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
                        "STRIPE_WEBHOOK_SECRET": "whsec_x"}.items():
        monkeypatch.setenv(name, value)
    app = create_app()
    response = app.test_client().get("/static/css/app.css")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_development_and_tests_send_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/static/css/app.css").headers


def test_last_seen_is_written_after_the_view_at_most_every_few_minutes(app, client, auth,
                                                                       session, monkeypatch):
    from datetime import timedelta

    user = make_user()
    session.commit()
    auth.login_as(user)
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        row.last_seen_at -= timedelta(hours=1)
        db.session.commit()
        stale = row.last_seen_at
    assert signed_in(client)
    with app.app_context():
        touched = db.session.scalar(sa.select(UserSession.last_seen_at))
    assert touched > stale + timedelta(minutes=59)
    assert signed_in(client)
    with app.app_context():  # within SESSION_TOUCH_EVERY: not written again
        assert db.session.scalar(sa.select(UserSession.last_seen_at)) == touched


def test_sessions_ended_long_ago_are_forgotten_by_the_jobs_loop(app, client, auth, session):
    from datetime import timedelta

    from crowdfund import jobs

    user = make_user()
    session.commit()
    auth.login_as(user)
    auth.logout()
    auth.login_as(user)  # a live one stays
    with app.app_context():
        ended = db.session.scalar(sa.select(UserSession).where(
            UserSession.revoked_at.is_not(None)))
        ended.revoked_at -= timedelta(days=91)
        db.session.commit()
        assert jobs.run_once()["old sessions forgotten"] == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 1
    assert signed_in(client)
