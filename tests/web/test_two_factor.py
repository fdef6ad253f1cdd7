"""Two-factor sign-in (TOTP) through the pages: set up with a QR code made here, sign in
with a code, recovery codes once each, throttled like passwords, operators refused without
it, asked again before sensitive actions; the seed and the codes are not kept readable."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from crowdfund.auth.models import RecoveryCode, TwoFactor, UserSession
from crowdfund.db import utcnow
from crowdfund.extensions import db
from tests.factories import PASSWORD, make_user, race, with_two_factor


def _code(seed: str, steps: int = 0) -> str:
    """The app's code now (or ``steps`` 30-second steps later: a code is used only once)."""
    return pyotp.TOTP(seed).at(time.time() + 30 * steps)


def _login(client, email: str):
    return client.post("/login", data={"email": email, "password": PASSWORD})


@pytest.fixture
def operators_need_it(app):
    app.config["OPERATOR_TWO_FACTOR_REQUIRED"] = True
    yield
    app.config["OPERATOR_TWO_FACTOR_REQUIRED"] = False


def test_set_up_then_sign_in_with_a_code(app, client, auth, session):
    grace = make_user("grace@example.com")
    session.commit()
    auth.login_as(grace)
    assert b"Set up two-factor sign-in" in client.get("/account/two-factor").data
    begun = client.post("/account/two-factor/setup")
    assert begun.location == "/account/two-factor/setup"
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page and "QR code for your authenticator app" in page  # made here
    seed = re.search(r'<code class="seed">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.post("/account/two-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 400 and b"That code is not right" in wrong.data
    done = client.post("/account/two-factor/setup", data={"code": _code(seed)})
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>",
                       done.get_data(as_text=True))
    assert done.status_code == 200 and len(set(codes)) == 10
    # Neither the seed nor a recovery code is kept readable.
    with app.app_context():
        stored = db.session.scalar(sa.select(TwoFactor.secret_encrypted))
        hashes = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert seed not in stored and len(hashes) == 10
    assert not [c for c in codes if c in hashes or c.replace("-", "") in hashes]
    auth.logout()
    # The password alone does not sign in.
    first = _login(client, "grace@example.com")
    assert first.location == "/login/code"
    assert client.get("/account/profile").status_code == 302
    reused = client.post("/login/code", data={"code": _code(seed)})  # used at setup
    assert reused.status_code == 400
    ok = client.post("/login/code", data={"code": _code(seed, steps=1)})
    assert ok.status_code == 302 and client.get("/account/profile").status_code == 200


def test_a_recovery_code_signs_in_once(app, client, session):
    grace = make_user("grace@example.com")
    _seed, codes = with_two_factor(grace)
    session.commit()
    _login(client, grace.email)
    used = client.post("/login/code", data={"code": codes[3].upper()}, follow_redirects=True)
    assert "You signed in with a recovery code; 9 left." in used.get_data(as_text=True)
    client.post("/logout")
    _login(client, grace.email)
    again = client.post("/login/code", data={"code": codes[3]})
    assert again.status_code == 400 and b"That code is not right" in again.data


def test_wrong_codes_are_limited_like_passwords(app, client, session):
    grace = make_user("grace@example.com")
    seed, _codes = with_two_factor(grace)
    session.commit()
    _login(client, grace.email)
    for _ in range(5):
        assert client.post("/login/code", data={"code": "123456"}).status_code == 400
    locked = client.post("/login/code", data={"code": _code(seed)})
    assert locked.status_code == 429 and b"Too many wrong codes" in locked.data
    assert client.get("/account/profile").status_code == 302


def test_the_password_step_waits_only_a_few_minutes(app, client, session):
    grace = make_user("grace@example.com")
    seed, _codes = with_two_factor(grace)
    session.commit()
    _login(client, grace.email)
    with client.session_transaction() as cookie:
        pending = dict(cookie["second_factor_pending"])
        pending["at"] -= 6 * 60
        cookie["second_factor_pending"] = pending
    late = client.post("/login/code", data={"code": _code(seed)})
    assert late.location == "/login"
    assert client.get("/account/profile").status_code == 302


def test_operator_pages_need_a_session_that_passed_two_factor(app, client, auth, session,
                                                              operators_need_it):
    operator = make_user(operator=True)
    session.commit()
    auth.login_as(operator)
    refused = client.get("/operators/settlement")
    assert refused.location == "/account/two-factor"
    assert b"Operators must turn it on" in client.get("/account/two-factor").data
    client.post("/account/two-factor/setup")
    seed = re.search(r'<code class="seed">([A-Z2-7]+)</code>',
                     client.get("/account/two-factor/setup").get_data(as_text=True)).group(1)
    client.post("/account/two-factor/setup", data={"code": _code(seed)})
    assert client.get("/operators/settlement").status_code == 200
    # Operators cannot turn it off while it is required.
    off = client.post("/account/two-factor/off", data={"password": PASSWORD,
                                                       "code": _code(seed, 1)},
                      follow_redirects=True)
    assert "Operators keep two-factor sign-in on." in off.get_data(as_text=True)
    # A new sign-in passes through the code before the console.
    auth.logout()
    assert _login(client, operator.email).location == "/login/code"
    assert client.post("/login/code", data={"code": _code(seed, 1)}).location == "/operators/"
    assert client.get("/operators/settlement").status_code == 200


def test_sensitive_actions_ask_for_a_code_again_after_a_while(app, client, session):
    grace = make_user("grace@example.com")
    seed, _codes = with_two_factor(grace)
    session.commit()
    _login(client, grace.email)
    client.post("/login/code", data={"code": _code(seed)})
    assert client.get("/account/email").status_code == 200  # just gave one
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(
            second_factor_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    asked = client.get("/account/email")
    assert asked.status_code == 302 and asked.location.startswith("/account/two-factor/verify")
    page = client.get(asked.location).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account/email?"' in page
    back = client.post("/account/two-factor/verify", data={"code": _code(seed, 1),
                                                           "next": "/account/email?"})
    assert back.location.rstrip("?") == "/account/email"
    assert client.get("/account/email").status_code == 200


def test_turning_it_off_needs_the_password_and_a_code(app, client, session):
    grace = make_user("grace@example.com")
    seed, _codes = with_two_factor(grace)
    session.commit()
    _login(client, grace.email)
    client.post("/login/code", data={"code": _code(seed)})
    wrong = client.post("/account/two-factor/off", data={"password": "not it",
                                                         "code": _code(seed, 1)},
                        follow_redirects=True)
    assert "Your password is incorrect." in wrong.get_data(as_text=True)
    client.post("/account/two-factor/off", data={"password": PASSWORD,
                                                 "code": _code(seed, 1)})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TwoFactor)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    client.post("/logout")
    assert _login(client, grace.email).location == "/"


@pytest.mark.postgres_only
def test_one_code_given_twice_at_once_is_accepted_once(app, session):
    from crowdfund.auth import two_factor
    from crowdfund.auth.models import User

    grace = make_user("grace@example.com")
    seed, _codes = with_two_factor(grace)
    session.commit()
    code = _code(seed)

    def use():
        two_factor.check(db.session.get(User, grace.id), code, "10.0.0.1")

    assert sorted(race(app, use, use)) == ["WrongCode", "ok"]


def test_a_two_factor_key_of_its_own_survives_a_new_secret_key(app, session):
    from crowdfund.auth import two_factor

    grace = make_user("grace@example.com")
    app.config["TWO_FACTOR_KEY"] = "a key for the seeds only"
    try:
        seed, _codes = with_two_factor(grace)
        session.commit()
        old_secret, app.secret_key = app.secret_key, "a rotated secret key"
        try:
            row = two_factor.of(grace)
            assert two_factor._totp(row).secret == seed
        finally:
            app.secret_key = old_secret
        app.config["TWO_FACTOR_KEY"] = None  # then it is another key: the seed is unreadable
        with pytest.raises(two_factor.SeedUnreadable, match="Your authenticator cannot be "
                                                            "checked: use a recovery code"):
            two_factor._totp(two_factor.of(grace))
    finally:
        app.config["TWO_FACTOR_KEY"] = None


@pytest.mark.postgres_only
def test_one_recovery_code_given_twice_at_once_is_accepted_once(app, session):
    from crowdfund.auth import two_factor
    from crowdfund.auth.models import User

    grace = make_user("grace@example.com")
    _seed, codes = with_two_factor(grace)
    session.commit()

    def use():
        two_factor.check(db.session.get(User, grace.id), codes[0], "10.0.0.1")

    assert sorted(race(app, use, use)) == ["WrongCode", "ok"]



def _key_of_before_hkdf(secret: str):
    """How seeds were encrypted before HKDF: Fernet with one SHA-256 of the secret."""
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(
        hashlib.sha256(b"two-factor seed:" + secret.encode()).digest()))


def _opens(key, token: bytes) -> bool:
    from cryptography.fernet import InvalidToken

    try:
        key.decrypt(token)
    except InvalidToken:
        return False
    return True


def test_a_seed_encrypted_before_hkdf_still_signs_in_and_is_written_again(app, client,
                                                                           session):
    from crowdfund.auth import two_factor

    grace = make_user("grace@example.com")
    seed, _codes = with_two_factor(grace)
    old = _key_of_before_hkdf(app.secret_key)
    two_factor.of(grace).secret_encrypted = old.encrypt(seed.encode()).decode()
    session.commit()
    _login(client, grace.email)
    signed_in = client.post("/login/code", data={"code": _code(seed)})
    assert signed_in.location == "/" and client.get("/account/profile").status_code == 200
    with app.app_context():  # used once, it is now under the new key only
        stored = db.session.scalar(sa.select(TwoFactor.secret_encrypted)).encode()
        assert two_factor._fernet().decrypt(stored).decode() == seed
    assert not _opens(old, stored)


def test_a_new_seed_is_not_readable_with_the_key_of_before_hkdf(app, session):
    from crowdfund.auth import two_factor

    grace = make_user("grace@example.com")
    seed, _codes = with_two_factor(grace)
    session.commit()
    stored = two_factor.of(grace).secret_encrypted.encode()
    assert two_factor._totp(two_factor.of(grace)).secret == seed
    assert not _opens(_key_of_before_hkdf(app.secret_key), stored)
