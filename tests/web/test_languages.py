"""The reader's language and time zone: how they are chosen, switched, kept apart in the
anonymous page cache, and used for dates, money and "days to go"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crowdfund import i18n
from crowdfund.auth.models import User
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import datetime_filter, time_left
from crowdfund.i18n import in_language_of
from crowdfund.money import Money
from tests.factories import make_campaign, make_user


@pytest.mark.parametrize(("tag", "ours"), [
    ("zh-CN", "zh_Hans"), ("zh-Hans-CN", "zh_Hans"), ("zh", "zh_Hans"), ("zh-SG", "zh_Hans"),
    ("ZH_hans", "zh_Hans"), ("zh-TW", "zh_Hant"), ("zh-HK", "zh_Hant"),
    ("zh-Hant-TW", "zh_Hant"), ("en-GB", "en"), ("en", "en"), ("fr-FR", None), ("", None),
    ("x" * 300, None)])
def test_browser_tags_map_to_the_languages_we_speak(tag, ours):
    assert i18n.supported(tag) == ours


def _lang(page: str) -> str:
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_browser_decides_for_a_visitor_without_a_choice(client):
    assert _lang(client.get("/").get_data(as_text=True)) == "en"
    page = client.get("/", headers={"Accept-Language": "fr-FR,zh-CN;q=0.8,en;q=0.5"})
    assert _lang(page.get_data(as_text=True)) == "zh-Hans"
    assert "Accept-Language" in page.headers["Vary"]


def test_the_footer_switch_sets_a_cookie_that_wins_over_the_browser(client):
    response = client.get("/language/zh_Hans?next=/discover")
    assert response.status_code == 302 and response.headers["Location"].endswith("/discover")
    assert "lang=zh_Hans" in response.headers["Set-Cookie"]
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _lang(page) == "zh-Hans"
    # Unknown codes and other sites change nothing.
    response = client.get("/language/klingon?next=https://evil.example/")
    assert response.headers["Location"].endswith("/") and "Set-Cookie" not in response.headers


def test_the_footer_offers_every_language_in_its_own_name(client):
    page = client.get("/").get_data(as_text=True)
    for code, name in i18n.LANGUAGES.items():
        assert name in page
        assert f'lang="{i18n.language_tag(code)}"' in page
    assert 'href="/language/zh_Hans?next=/?"' in page or "/language/zh_Hans?next=" in page


def test_the_page_cache_keeps_one_page_per_language(app, client, session):
    app.config["PAGE_CACHE_SECONDS"] = 60
    try:
        english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        chinese = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        again = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0
        app.extensions["page_cache"].clear()
    assert _lang(english) == _lang(again) == "en" and _lang(chinese) == "zh-Hans"


def test_a_signed_in_persons_setting_wins_and_is_saved_from_the_footer(app, client, auth,
                                                                        session):
    user = make_user()
    session.commit()
    auth.login_as(user)
    response = client.post("/account/language/zh_Hans", data={"next": "/discover"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/discover")
    session.expire_all()
    assert db.session.get(User, user.id).locale == "zh_Hans"
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _lang(page) == "zh-Hans"


def test_language_and_zone_page_saves_and_refuses_what_is_not_in_the_lists(client, auth,
                                                                           session):
    user = make_user()
    session.commit()
    auth.login_as(user)
    page = client.get("/account/language", headers={"Cookie": "tz=Asia/Shanghai"})
    assert page.status_code == 200 and "Asia/Shanghai" in page.get_data(as_text=True)
    bad = client.post("/account/language", data={"locale": "fr", "timezone": "Mars/Base"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Choose one of the languages in the list." in text
    session.expire_all()
    assert db.session.get(User, user.id).locale is None
    good = client.post("/account/language",
                       data={"locale": "zh_Hans", "timezone": "America/New_York"})
    assert good.status_code == 302
    session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.locale, saved.timezone) == ("zh_Hans", "America/New_York")


def test_the_service_names_the_refusal(app, session):
    from crowdfund.auth import reader

    user = make_user()
    with app.test_request_context():
        with pytest.raises(DomainError, match="Choose a time zone from the list"):
            reader.choose(user, locale="en", timezone="Nowhere/Atlantis")
        with pytest.raises(DomainError, match="Choose one of the languages in the list"):
            reader.choose_language(user, "tlh")


MOMENT = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("locale", "zone", "expected"), [
    ("en", "UTC", "Jan 8, 2027, 12:00\u202fPM UTC"),
    ("en", "America/New_York", "Jan 8, 2027, 7:00\u202fAM EST"),
    ("en", "Asia/Shanghai", "Jan 8, 2027, 8:00\u202fPM China Standard Time"),
    ("zh_Hans", "Asia/Shanghai", "2027年1月8日 20:00 中国标准时间"),
])
def test_a_moment_is_shown_on_the_readers_clock_with_its_zone_named(app, locale, zone,
                                                                      expected):
    with app.test_request_context(), in_language_of(locale, zone):
        assert datetime_filter(MOMENT) == expected


def test_the_same_deadline_moment_reads_right_in_every_zone(app):
    """A backer in Shanghai and a founder in New York see the same instant."""
    with app.test_request_context():
        with in_language_of("en", "Asia/Shanghai"):
            shanghai = datetime_filter(MOMENT)
        with in_language_of("en", "America/New_York"):
            new_york = datetime_filter(MOMENT)
    assert "8:00\u202fPM" in shanghai and "7:00\u202fAM" in new_york


def test_days_to_go_count_the_readers_days_across_a_daylight_saving_change(app):
    # 2027-03-14 02:00 New York springs forward: Friday 20:00 to Monday 20:00 local is
    # 71 hours, and three days on a New Yorker's calendar.
    friday = datetime(2027, 3, 12, 20, 0) .replace(tzinfo=UTC) + timedelta(hours=5)
    monday = friday + timedelta(hours=71)
    with app.test_request_context():
        with in_language_of("en", "America/New_York"):
            assert time_left(monday, now=friday) == "3 days to go"
        with in_language_of("en", "UTC"):
            assert time_left(monday, now=friday) == "3 days to go"  # 2.96 days, rounded
        with in_language_of("zh_Hans", "Asia/Shanghai"):
            assert time_left(monday, now=friday - timedelta(days=2)) != ""


def test_money_is_written_for_the_readers_locale(app):
    with app.test_request_context():
        with in_language_of("en"):
            assert Money(123_450, "USD").format() == "$1,234.50"
            assert Money(123_450, "CNY").format() == "CN¥1,234.50"
        with in_language_of("zh_Hans"):
            assert Money(123_450, "USD").format() == "US$1,234.50"
            assert Money(123_450, "CNY").format() == "¥1,234.50"
            assert Money(123_450, "HKD").format() == "HK$1,234.50"


def test_a_signed_in_readers_zone_shows_on_the_campaign_page(client, auth, session):
    user = make_user()
    user.timezone = "Asia/Shanghai"
    campaign = make_campaign(status=CampaignStatus.LIVE)
    session.commit()
    auth.login_as(user)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "China Standard Time" in page


@pytest.mark.parametrize(("locale", "required", "integer"), [
    ("en", "This field is required.", "Not a valid integer value."),
    ("zh_Hans", "该字段是必填字段。", "不是有效的整数。"),
    ("zh_Hant", "此欄位是必需的。", "不是有效的整數值。"),
])
def test_the_forms_own_messages_are_in_the_readers_script(app, locale, required, integer):
    """WTForms' built-in messages follow the reader: Traditional Chinese readers get its
    Traditional catalogue (zh_TW), not the Simplified one Flask-WTF would pick."""
    from wtforms import IntegerField, StringField
    from wtforms.validators import InputRequired

    from crowdfund.forms import BaseForm

    class Probe(BaseForm):
        class Meta:
            csrf = False

        name = StringField(validators=[InputRequired()])
        count = IntegerField()

    with app.test_request_context(method="POST", data={"count": "many"}):
        with in_language_of(locale, "UTC"):
            form = Probe()
            assert not form.validate()
    assert form.name.errors == [required] and form.count.errors == [integer]
