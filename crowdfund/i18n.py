"""Languages and time zones: which the reader gets, and switching them.

Every text a person reads is marked for translation (``_`` / ``gettext`` in code that
runs when the text is needed, ``_l`` / ``lazy_gettext`` for texts defined at import time:
form labels, error messages kept as constants, ``ngettext`` for anything with a count) and
translated in the gettext catalogues under ``crowdfund/translations/`` (docs/i18n.md says
how to add a text, update the catalogues and add a language; the words we use for each
idea are in docs/glossary.md).

The reader's **language**: their account's setting, else the ``lang`` cookie (the footer's
switch, for visitors who are not signed in), else the browser's ``Accept-Language``, else
``DEFAULT_LOCALE``. Their **time zone**: their account's setting, else the ``tz`` cookie
(set by a few lines of script from the browser's own zone the first time a page loads),
else ``DEFAULT_TIMEZONE``. Dates and times are stored in UTC and shown in that zone.

Emails and other texts written for someone who is not the current reader (a founder told
of a new backer, a worker sending receipts) are written inside :func:`in_language_of`
with the recipient's language and zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pytz
from babel import Locale
from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_app_context, request
from flask_babel import (
    Babel,
    get_locale,
    get_timezone,
    get_translations,
    gettext,
    lazy_gettext,
    pgettext,
    refresh,
)
from flask_babel import _get_current_context as _babel_context
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from crowdfund import money

__all__ = ["LANGUAGES", "_", "_l", "babel", "get_locale", "get_timezone", "gettext",
           "in_language_of", "lazy_gettext", "ngettext", "pgettext", "reader_locale",
           "reader_timezone", "refresh"]

_ = gettext
_l = lazy_gettext


def number(value: int) -> str:
    """A count as the reader writes it ("1,204")."""
    return format_decimal(value, locale=reader_locale())


def ngettext(__singular: str, __plural: str, __num: int, **variables) -> str:
    """The form of a text for a count ("1 backer", "1,204 backers"): ``%(num)s`` is the
    count written for the reader's locale unless given."""
    variables.setdefault("num", number(__num))
    return get_translations().ungettext(__singular, __plural, __num) % variables


@pass_context
def _template_ngettext(__context, __singular: str, __plural: str, __num: int, **variables):
    """Templates' ``ngettext`` and ``{% trans count=n %}``: Jinja's own, with the count
    written for the reader's locale (Jinja's puts the bare number in ``%(num)s``)."""
    variables.setdefault("num", number(__num))
    text = get_translations().ungettext(__singular, __plural, __num)
    if __context.eval_ctx.autoescape:
        # The catalogue's text is ours (reviewed like code); values are escaped by %.
        text = Markup(text)  # noqa: S704
    return text % variables

babel = Babel()

#: The languages the platform speaks: code (a gettext catalogue under
#: crowdfund/translations/ except for English, the source) -> its own name, as the
#: language switch shows it.
LANGUAGES: dict[str, str] = {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}

#: What browsers send for Chinese, to the script it is written in (``zh-CN`` and
#: ``zh-SG`` read Simplified characters, ``zh-TW``, ``zh-HK`` and ``zh-MO`` Traditional).
_CHINESE = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_my": "zh_Hans",
            "zh_hans": "zh_Hans", "zh_tw": "zh_Hant", "zh_hk": "zh_Hant", "zh_mo": "zh_Hant",
            "zh_hant": "zh_Hant"}

#: Cookies of visitors who are not signed in: the language they chose in the footer, the
#: time zone their browser reported.
LANGUAGE_COOKIE, TIMEZONE_COOKIE = "lang", "tz"


def supported(code: str | None) -> str | None:
    """The platform's code for a language tag a person or browser gave ("zh-CN",
    "zh-Hans-CN", "en-GB", "EN"), or None when we do not speak it."""
    if not code:
        return None
    parts = code.strip().replace("-", "_").lower().split("_")
    if parts[0] == "zh":  # by script or region; plain or unknown Chinese: Simplified
        return _CHINESE.get("_".join(parts[:2]), _CHINESE["zh"])
    return parts[0] if parts[0] in LANGUAGES else None


def valid_timezone(name: str | None) -> str | None:
    """``name`` if it is an IANA time zone we know (``Asia/Shanghai``), else None."""
    if not name or len(name) > 64 or name not in _zones():
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _zones() -> frozenset[str]:
    zones = current_app.extensions.get("crowdfund_zones")
    if zones is None:
        zones = frozenset(available_timezones() & set(pytz.all_timezones))
        current_app.extensions["crowdfund_zones"] = zones
    return zones


def timezone_choices() -> list[tuple[str, str]]:
    """Every zone a person may choose, sorted by name (for a select field)."""
    return [(name, name.replace("_", " ")) for name in sorted(_zones())]


def _from_browser() -> str | None:
    for tag, _quality in request.accept_languages:
        found = supported(tag)
        if found:
            return found
    return None


def select_locale() -> str:
    """The reader's language (see the module)."""
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in LANGUAGES:
        return chosen
    if request:
        # The API reads no cookie: Accept-Language alone (crowdfund/api/core.py).
        cookie = None if g.get("api_request") else supported(
            request.cookies.get(LANGUAGE_COOKIE))
        if cookie:
            return cookie
        browser = _from_browser()
        if browser:
            return browser
    return current_app.config["DEFAULT_LOCALE"]


def browser_timezone() -> str | None:
    """The zone the reader's browser reported (the ``tz`` cookie), if it is one we know."""
    return valid_timezone(request.cookies.get(TIMEZONE_COOKIE)) if request else None


def select_timezone() -> str:
    """The reader's time zone (see the module)."""
    chosen = getattr(current_user, "timezone", None) if current_user else None
    if chosen and valid_timezone(chosen):
        return chosen
    if request:
        cookie = valid_timezone(request.cookies.get(TIMEZONE_COOKIE))
        if cookie:
            return cookie
    return current_app.config["DEFAULT_TIMEZONE"]


def language_tag(locale: Locale | str | None = None) -> str:
    """The BCP 47 tag for ``<html lang>`` and ``lang`` attributes ("en", "zh-Hans"), of
    the reader's language or of a code of ``LANGUAGES``."""
    locale = Locale.parse(locale) if isinstance(locale, str) else (locale or get_locale())
    return "-".join(part for part in (locale.language, locale.script) if part)


def reader_locale() -> str:
    """The current reader's locale as text ("en", "zh_Hans"); the default outside a
    request or job."""
    locale = get_locale()
    return str(locale) if locale is not None else "en_US"


def reader_timezone():
    """The current reader's time zone (a tzinfo); UTC outside an application."""
    return get_timezone() if has_app_context() else pytz.utc


def reader_key() -> str:
    """What a page cached for anonymous visitors depends on besides its URL: their
    language and time zone."""
    return f"{get_locale()}|{get_timezone().zone}"


@contextmanager
def in_language_of(locale: str | None, timezone: str | None = None) -> Iterator[None]:
    """Texts made inside are in ``locale`` and show times in ``timezone`` (each falling
    back to the platform's default): an email to a person who is not the reader."""
    ctx = _babel_context()
    if ctx is None:  # no app context: nothing to translate with
        yield
        return
    locale = locale if locale in LANGUAGES else current_app.config["DEFAULT_LOCALE"]
    zone = valid_timezone(timezone) or current_app.config["DEFAULT_TIMEZONE"]
    saved = {key: getattr(ctx, key, None) for key in
             ("babel_locale", "babel_tzinfo", "babel_translations", "forced_babel_locale")}
    try:
        ctx.babel_locale = ctx.forced_babel_locale = Locale.parse(locale)
        ctx.babel_tzinfo = pytz.timezone(zone)
        ctx.babel_translations = None
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                if hasattr(ctx, key):
                    delattr(ctx, key)
            else:
                setattr(ctx, key, value)


def _template_globals() -> dict:
    return {"LANGUAGES": LANGUAGES, "html_lang": language_tag,
            "current_language": lambda: str(get_locale())}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_locale=app.config["DEFAULT_LOCALE"],
                   default_timezone=app.config["DEFAULT_TIMEZONE"])
    app.jinja_env.globals["ngettext"] = _template_ngettext
    app.context_processor(_template_globals)
    money.use_reader_locale(reader_locale)
