"""Registration, sign-in (with throttling), sign-out, passwords and profiles through the pages."""

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import LoginAttempt, User
from crowdfund.extensions import db
from tests.factories import PASSWORD, make_user


def _count_users(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def _register(client, **overrides):
    data = {"display_name": "Grace", "email": "Grace@Example.COM", "password": PASSWORD,
            "confirm": PASSWORD}
    data.update(overrides)
    return client.post("/register", data=data)


def test_register_normalises_email_and_hashes_password_unconfirmed(app, client, auth):
    response = _register(client)
    assert response.status_code == 302 and response.location == "/register/sent"
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.email == "grace@example.com" and user.email_verified_at is None
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    # Not signed in by registering: signing in works, with the banner asking to confirm.
    assert client.get("/account/profile").status_code == 302
    assert auth.login("grace@example.com").status_code == 302
    page = client.get("/account/profile")
    assert page.status_code == 200 and b"grace@example.com" in page.data
    assert b"Confirm your email address" in page.data


def test_a_second_registration_creates_nothing_whatever_the_case(app, client):
    assert _register(client).status_code == 302
    response = _register(client, email="  GRACE@example.com ")
    assert response.status_code == 302 and response.location == "/register/sent"
    assert _count_users(app) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"email": ""}, b"This field is required."),
     ({"email": "not-an-email"}, b"An email address must have an @-sign."),
     ({"display_name": ""}, b"This field is required."),
     ({"display_name": "x" * 81}, b"Field cannot be longer than 80 characters."),
     ({"password": "short", "confirm": "short"}, b"Use at least 10 characters"),
     ({"confirm": "something else"}, b"The passwords do not match."),
     ({"password": "grace@example.com", "confirm": "grace@example.com"},
      b"Your password is too close to your name or email address."),
     ({"password": "password1234", "confirm": "password1234"}, b"very common password"),
     ({"password": "qwertyuiop1", "confirm": "qwertyuiop1"},
      b"similar to a commonly used password")],
)
def test_register_bad_input_shows_field_error_and_writes_nothing(app, client, overrides, message):
    response = _register(client, **overrides)
    assert response.status_code == 400
    assert message in response.data
    assert _count_users(app) == 0


@pytest.fixture
def grace(session):
    user = make_user("grace@example.com", name="Grace")
    session.commit()
    return user


def test_login_and_logout(client, auth, grace):
    response = auth.login("GRACE@example.com")
    assert response.status_code == 302
    assert client.get("/studio/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/studio/").status_code == 302  # back to the sign-in page


def test_logout_needs_post(client, auth, grace):
    auth.login_as(grace)
    assert client.get("/logout").status_code == 405
    assert client.get("/studio/").status_code == 200


@pytest.mark.parametrize("email", ["grace@example.com", "nobody@example.com"])
def test_wrong_credentials_say_the_same_thing(client, auth, grace, email):
    response = auth.login(email, "wrong password!")
    assert response.status_code == 401
    assert b"Email or password is incorrect." in response.data
    assert client.get("/studio/").status_code == 302


def test_failed_logins_are_limited_per_account(app, client, auth, grace):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert auth.login("grace@example.com", "wrong password!").status_code == 401
    blocked = auth.login("grace@example.com")  # even the right password is refused now
    assert blocked.status_code == 429
    assert b"Too many failed sign-in attempts" in blocked.data
    # The same answer for an address that has no account: no enumeration.
    for _ in range(limit):
        auth.login("ghost@example.com", "wrong password!")
    assert auth.login("ghost@example.com", "x").status_code == 429


def test_failed_logins_are_limited_per_address(app, client, auth, grace):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 4
    try:
        for n in range(4):
            auth.login(f"guess{n}@example.com", "wrong password!")
        assert auth.login("grace@example.com").status_code == 429
        other = app.test_client()
        response = other.post("/login", data={"email": "grace@example.com", "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "10.9.8.7"})
        assert response.status_code == 302
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_IP"] = 30


def test_a_success_resets_the_account_count(app, client, auth, grace):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit - 1):
        auth.login("grace@example.com", "wrong password!")
    auth.login_as(grace)
    auth.logout()
    for _ in range(limit - 1):
        auth.login("grace@example.com", "wrong password!")
    assert auth.login("grace@example.com").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 2 * limit


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/studio/", "/studio/"), ("/discover?q=x", "/discover?q=x"),
     ("https://evil.example/", "/"), ("//evil.example/", "/"), ("/\\evil.example", "/"),
     ("javascript:alert(1)", "/"), ("http:/evil.example", "/"), ("", "/")],
)
def test_next_only_redirects_within_the_site(client, auth, grace, target, expected):
    response = auth.login("grace@example.com", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_session_cookie_flags(client, auth, grace):
    response = auth.login("grace@example.com", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember


def test_change_password(app, client, auth, grace):
    auth.login_as(grace)
    wrong = client.post("/account/password", data={"current_password": "nope", "password":
                                                   "a brand new secret", "confirm":
                                                   "a brand new secret"})
    assert wrong.status_code == 400 and b"Your current password is incorrect." in wrong.data
    ok = client.post("/account/password", data={"current_password": PASSWORD, "password":
                                                "a brand new secret", "confirm":
                                                "a brand new secret"})
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("grace@example.com").status_code == 401
    assert auth.login("grace@example.com", "a brand new secret").status_code == 302


def test_profile_links_must_be_web_links(app, client, auth, grace):
    auth.login_as(grace)
    data = {"display_name": "Grace H.", "bio": "Compilers", "location": "Arlington",
            "links-0": "javascript:alert(1)", "links-1": "", "links-2": "", "links-3": ""}
    bad = client.post("/account/profile", data=data)
    assert bad.status_code == 400
    data["links-0"] = "https://grace.example.com"
    assert client.post("/account/profile", data=data).status_code == 302
    with app.app_context():
        user = db.session.get(User, grace.id)
        assert user.display_name == "Grace H." and user.links == ["https://grace.example.com"]


def test_operator_cli_creates_and_promotes(app, grace):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-operator", "GRACE@example.com"])
    assert result.exit_code == 0, result.output
    assert "Promoted operator grace@example.com" in result.output
    result = runner.invoke(args=["users", "create-operator", "ops@example.com", "--password",
                                 "operator password 1"])
    assert result.exit_code == 0 and "Created operator ops@example.com" in result.output
    result = runner.invoke(args=["users", "create-operator", "bad-address"])
    assert result.exit_code != 0
    with app.app_context():
        operators = db.session.scalars(sa.select(User.email).where(User.is_operator)).all()
    assert sorted(operators) == ["grace@example.com", "ops@example.com"]


@pytest.mark.parametrize("data", [{}, {"email": "", "password": ""}, {"email": "a@b.co"},
                                  {"email": "x" * 300, "password": "p"}])
def test_login_bad_input_is_a_400_with_field_errors(app, client, data):
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert b"This field is required." in response.data or b"Field cannot be longer" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0
