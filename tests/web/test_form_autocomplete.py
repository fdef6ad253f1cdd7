"""Account forms fill in on phones: email fields are ``type=email`` with ``autocomplete``,
passwords say whether they are the current or a new one, the authenticator's code gets a
number pad and one-time-code autofill, a recovery code a full keyboard (issue 24, item 16)."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pyotp
import pytest

from crowdfund.auth import tokens
from crowdfund.auth.models import TokenPurpose
from tests.factories import make_user, with_two_factor


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.found.append(dict(attrs))


def _inputs(html: str) -> list[dict[str, str | None]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.found


EMAIL = {"type": "email", "autocomplete": "email"}
SIGN_IN_EMAIL = {"type": "email", "autocomplete": "username"}
CURRENT = {"type": "password", "autocomplete": "current-password"}
NEW = {"type": "password", "autocomplete": "new-password"}
APP_CODE = {"type": "text", "inputmode": "numeric", "autocomplete": "one-time-code"}
RECOVERY_CODE = {"type": "text", "inputmode": None, "autocomplete": "off"}

#: page -> (who: None, "user" or "2fa" (two-factor on), "pending" (password given, code
#: asked), path, {input id: the attributes it must have}).
PAGES = {
    "sign in": (None, "/login", {"email": SIGN_IN_EMAIL, "password": CURRENT}),
    "register": (None, "/register", {"display_name": {"autocomplete": "name"},
                                     "email": EMAIL, "password": NEW, "confirm": NEW}),
    "forgot password": (None, "/password/forgot", {"email": EMAIL}),
    "reset password": (None, "reset", {"password": NEW, "confirm": NEW}),
    "new email": ("user", "/account/email", {"email": EMAIL, "password": CURRENT}),
    "change password": ("user", "/account/password",
                        {"current_password": CURRENT, "password": NEW, "confirm": NEW}),
    "two-factor setup": ("setup", "/account/two-factor/setup", {"code": APP_CODE}),
    "two-factor page": ("2fa", "/account/two-factor", {"code": APP_CODE,
                                                       "password": CURRENT}),
    "two-factor off with a recovery code": ("2fa", "/account/two-factor?use=recovery",
                                            {"code": RECOVERY_CODE, "password": CURRENT}),
    "code at sign-in": ("pending", "/login/code", {"code": APP_CODE}),
    "recovery code at sign-in": ("pending", "/login/code?use=recovery",
                                 {"code": RECOVERY_CODE}),
    "code again": ("2fa", "/account/two-factor/verify?next=/pledges", {"code": APP_CODE}),
    "recovery code again": ("2fa", "/account/two-factor/verify?use=recovery&next=/pledges",
                            {"code": RECOVERY_CODE}),
}


def _open(client, auth, session, who: str | None, path: str) -> str:
    person = make_user("grace@example.com")
    seed = with_two_factor(person)[0] if who in ("2fa", "pending") else None
    session.commit()
    if path == "reset":
        row = tokens.issue(person, TokenPurpose.RESET_PASSWORD, person.email,
                           timedelta(minutes=30))
        session.commit()
        path = f"/password/reset/{tokens.secret_of(row)}"
    if who is not None:
        auth.login(person.email)  # with two-factor on: the code is asked next
    if who == "2fa":
        signed_in = client.post("/login/code", data={"code": pyotp.TOTP(seed).now()})
        assert signed_in.status_code == 302
    if who == "setup":
        assert client.post("/account/two-factor/setup").status_code == 302
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_account_fields_say_what_they_hold(client, auth, session, page):
    who, path, expected = PAGES[page]
    html = _open(client, auth, session, who, path)
    fields = {i.get("id"): i for i in _inputs(html) if i.get("id")}
    for field_id, attributes in expected.items():
        assert field_id in fields, (page, field_id)
        for name, value in attributes.items():
            assert fields[field_id].get(name, "text" if name == "type" else None) == value, (
                page, field_id, name)


@pytest.mark.parametrize("page", sorted(
    page for page, (_, _, fields) in PAGES.items() if {"email", "password"} & set(fields)))
def test_no_email_or_password_field_is_left_undescribed(client, auth, session, page):
    who, path, _expected = PAGES[page]
    for field in _inputs(_open(client, auth, session, who, path)):
        if field.get("type") == "password":
            assert field.get("autocomplete") in ("current-password", "new-password"), field
        if "email" in (field.get("name") or ""):
            assert field.get("type") == "email" and field.get("autocomplete"), field


def test_a_recovery_code_signs_in_from_its_own_field(client, auth, session):
    person = make_user("grace@example.com")
    _seed, codes = with_two_factor(person)
    session.commit()
    auth.login(person.email)
    wrong = client.post("/login/code?use=recovery", data={"code": "aaaa-bbbb-cccc-dddd"})
    assert wrong.status_code == 400 and b"That code is not right" in wrong.data
    (field,) = [i for i in _inputs(wrong.get_data(as_text=True)) if i.get("id") == "code"]
    assert field.get("inputmode") is None and field.get("autocomplete") == "off"
    assert client.post("/login/code?use=recovery", data={"code": codes[0]}).status_code == 302
