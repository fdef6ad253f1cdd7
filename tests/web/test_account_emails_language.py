"""Account emails are written in their recipient's language and time zone (the account's
``locale`` and ``timezone``), whoever's request sends them: a person registering keeps the
language they read in, a reset asked from an English browser reaches a Chinese account in
Chinese, the notice to an old address too, an operator's decision too.

Two kinds of check: dates and zones are written by Babel's own locale data (they need no
catalogue of ours: "2027年1月8日 20:00 中国标准时间"); the tests named ``..._words`` read
our translated texts, so they need the compiled zh_Hans catalogue
(``make translations``)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from crowdfund.auth import services, tokens
from crowdfund.auth.models import TokenPurpose, User, VerificationStatus
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage
from tests.factories import PASSWORD, make_user

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
SHANGHAI = "中国标准时间"  # the zone, as Babel names it in Chinese


def _register(client, email: str, headers: dict, name: str = "Lin"):
    return client.post("/register", headers=headers, data={
        "display_name": name, "email": email, "password": PASSWORD, "confirm": PASSWORD})


def _message(app, kind: str, to_email: str) -> OutboxMessage:
    with app.app_context():
        found = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.to_email == to_email)
            .order_by(OutboxMessage.id)).all()
        assert found, db.session.execute(sa.select(OutboxMessage.kind,
                                                   OutboxMessage.to_email)).all()
        db.session.expunge(found[-1])
        return found[-1]


def _chinese_account(email: str, zone: str | None = "Asia/Shanghai") -> User:
    user = make_user(email)
    user.locale, user.timezone = "zh_Hans", zone
    return user


# --- the language a person registers in -------------------------------------------------


def test_registering_keeps_the_language_the_person_reads_in(app, client):
    assert _register(client, "lin@example.com", CHINESE).location == "/register/sent"
    assert _register(app.test_client(), "grace@example.com", ENGLISH).status_code == 302
    with app.app_context():
        locales = dict(db.session.execute(sa.select(User.email, User.locale)).all())
    assert locales == {"lin@example.com": "zh_Hans", "grace@example.com": "en"}
    # The confirmation's expiry is written for a Chinese reader (Babel's data: no catalogue).
    assert "年" in _message(app, "account_verify_email", "lin@example.com").text_body


def test_registering_keeps_the_zone_the_browser_reported(app, client):
    client.set_cookie("tz", "Asia/Shanghai")
    _register(client, "lin@example.com", CHINESE)
    other = app.test_client()
    other.set_cookie("tz", "Not/AZone")
    _register(other, "grace@example.com", ENGLISH)
    with app.app_context():
        zones = dict(db.session.execute(sa.select(User.email, User.timezone)).all())
    assert zones == {"lin@example.com": "Asia/Shanghai", "grace@example.com": None}
    assert "中国标准时间" in _message(app, "account_verify_email", "lin@example.com").text_body


def test_a_language_we_do_not_speak_is_not_saved(session):
    user = services.register_user("ana@example.com", PASSWORD, "Ana", locale="pt_BR")
    assert user.locale is None


def test_confirmation_email_of_a_chinese_registration_words(app, client):
    """Needs the compiled zh_Hans catalogue."""
    _register(client, "lin@example.com", CHINESE)
    message = _message(app, "account_verify_email", "lin@example.com")
    assert message.subject == "验证你的邮箱"
    assert "验证" in message.text_body and "欢迎来到crowdfund" in message.text_body


# --- emails another request sends -------------------------------------------------------


def test_a_reset_asked_from_an_english_browser_is_written_for_the_account(app, client,
                                                                         session):
    _chinese_account("lin@example.com")
    session.commit()
    response = client.post("/password/forgot", data={"email": "lin@example.com"},
                           headers=ENGLISH)
    assert response.status_code == 302
    text = _message(app, "account_reset_password", "lin@example.com").text_body
    assert SHANGHAI in text and "UTC" not in text


def test_a_reset_email_words_follow_the_account_not_the_asker(app, client, session):
    """Needs the compiled zh_Hans catalogue."""
    _chinese_account("lin@example.com")
    session.commit()
    client.post("/password/forgot", data={"email": "lin@example.com"}, headers=ENGLISH)
    message = _message(app, "account_reset_password", "lin@example.com")
    assert message.subject == "设置新密码" and "有效期至" in message.text_body


def test_an_account_without_a_language_gets_the_default_not_the_askers(app, client,
                                                                      session):
    make_user("grace@example.com")  # no language or zone chosen
    session.commit()
    client.post("/password/forgot", data={"email": "grace@example.com"},
                headers={**CHINESE, "Cookie": "tz=Asia/Shanghai"})
    message = _message(app, "account_reset_password", "grace@example.com")
    assert "年" not in message.text_body and SHANGHAI not in message.text_body
    assert "UTC" in message.text_body and message.subject == "Choose a new password"


def test_the_old_address_is_told_in_the_accounts_language(app, client, session):
    user = _chinese_account("lin@example.com")
    session.commit()
    link = tokens.issue(user, TokenPurpose.VERIFY_EMAIL, "lin.new@example.com",
                        timedelta(hours=24))
    secret = tokens.secret_of(link)
    session.commit()
    # Opened in a browser that reads English, signed out.
    assert client.post(f"/account/confirm/{secret}", headers=ENGLISH).status_code == 302
    notice = _message(app, "email_changed", "lin@example.com")
    assert SHANGHAI in notice.text_body


def test_someone_registering_with_a_taken_address_warns_its_owner_in_their_words(
        app, client, session):
    """Needs the compiled zh_Hans catalogue."""
    _chinese_account("lin@example.com")
    session.commit()
    assert _register(client, "lin@example.com", ENGLISH, name="Mallory").status_code == 302
    warning = _message(app, "address_claimed", "lin@example.com")
    assert warning.subject == "有人尝试使用你的邮箱"
    assert "有人尝试用这个邮箱注册新账户" in warning.text_body


def test_an_operators_decision_reaches_the_founder_in_their_language(app, session):
    founder = _chinese_account("lin@example.com", zone="Asia/Shanghai")
    operator = make_user("ops@example.com", operator=True)
    session.commit()
    services.set_verification(founder, operator, status=VerificationStatus.VERIFIED,
                              legal_name="林小明", note="")
    session.commit()
    decided = _message(app, "identity_decided", "lin@example.com")
    assert "年" in decided.text_body  # the day, written for a Chinese reader


def test_signing_in_turns_the_pages_to_the_accounts_language_words(app, client, session):
    """Needs the compiled zh_Hans catalogue."""
    _chinese_account("lin@example.com")
    session.commit()
    response = client.post("/login", data={"email": "lin@example.com", "password": PASSWORD},
                           headers=ENGLISH, follow_redirects=True)
    assert "已登录：" in response.get_data(as_text=True)
