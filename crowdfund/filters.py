"""Jinja filters and globals: money, dates, time left, counts with their nouns, Markdown,
labels."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    get_date_format,
    get_datetime_format,
    get_time_format,
)
from flask import Flask
from markupsafe import Markup

from crowdfund.db import utcnow
from crowdfund.forms import country_choices
from crowdfund.i18n import _, ngettext, reader_locale, reader_timezone
from crowdfund.markdown import markdown_text, render_markdown
from crowdfund.money import Money
from crowdfund.statemachine import status_label


def money(value, currency: str | None = None, whole: bool = False) -> str:
    """``{{ campaign.goal | money }}`` or ``{{ minor_units | money("USD") }}``."""
    if value is None:
        return ""
    if not isinstance(value, Money):
        value = Money(int(value), currency)
    return value.format(reader_locale(), whole=whole)


def word_list(items) -> str:
    """Items written one after the other in the reader's language ("Story, Cover image",
    "项目介绍、封面图片")."""
    # TRANSLATORS: what goes between the items of a list ("Story, Cover image").
    return _(", ").join(str(item) for item in items)


def duration(delta: timedelta) -> str:
    """A length of time in words, in its largest whole unit: "30 days", "1 day", "12 hours",
    "45 minutes", "less than a minute" (retention periods, how long something waited)."""
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return ngettext("%(num)s day", "%(num)s days", seconds // 86400)
    if seconds >= 3600:
        return ngettext("%(num)s hour", "%(num)s hours", seconds // 3600)
    if seconds >= 60:
        return ngettext("%(num)s minute", "%(num)s minutes", seconds // 60)
    return _("less than a minute")


def age(since: datetime | None, now: datetime | None = None) -> str:
    """How long ago ``since`` was, in words ("3 days", "5 hours", "1 minute")."""
    if since is None:
        return ""
    return duration((now or utcnow()) - since)


def time_left(deadline: datetime | None, now: datetime | None = None, *,
              short: bool = False) -> str:
    """Backer's terms: "3 days to go", "5 hours to go", "12 minutes to go", "ended";
    ``short``: "3 days", "5 hours" (beside a "to go" label). Rounded to the nearest unit,
    so a 30-day campaign launched a moment ago has "30 days to go", not 29. Days are
    counted on the reader's clock: a deadline three evenings away is "3 days to go" also
    when a daylight-saving change makes those days 71 or 73 hours long."""
    if deadline is None:
        return ""
    now = now or utcnow()
    seconds = (deadline - now).total_seconds()
    if seconds <= 0:
        return _("ended")
    zone = reader_timezone()
    wall = (deadline.astimezone(zone).replace(tzinfo=None)
            - now.astimezone(zone).replace(tzinfo=None)).total_seconds()
    days, hours, minutes = wall / 86400, seconds / 3600, seconds / 60
    if days >= 2:
        n = round(days)
        return (ngettext("%(num)s day", "%(num)s days", n) if short
                else ngettext("%(num)s day to go", "%(num)s days to go", n))
    if hours >= 2:
        n = round(hours)
        return (ngettext("%(num)s hour", "%(num)s hours", n) if short
                else ngettext("%(num)s hour to go", "%(num)s hours to go", n))
    if minutes >= 2:
        n = round(minutes)
        return (ngettext("%(num)s minute", "%(num)s minutes", n) if short
                else ngettext("%(num)s minute to go", "%(num)s minutes to go", n))
    return _("less than 2 minutes") if short else _("less than 2 minutes to go")


@lru_cache(maxsize=4096)
def _format_date(value, fmt: str, locale: str) -> str:
    """Babel's date formatting once per value (a chart's days repeat on every view)."""
    return format_date(value, format=fmt, locale=locale)


def _local(value: datetime) -> datetime:
    """A stored (UTC) moment on the reader's clock."""
    return value.astimezone(reader_timezone())


@lru_cache(maxsize=4096)
def _format_skeleton(value, skeleton: str, locale: str) -> str:
    return format_skeleton(skeleton, value, locale=locale)


def date_filter(value: date | datetime | None, fmt: str = "medium",
                skeleton: str | None = None) -> str:
    """A calendar day in the reader's language ("Dec 1, 2026", "2026年12月1日"); a moment
    is first put on the reader's clock (the day it is where they are). ``skeleton``: which
    fields, in the order and words of the reader's language ("MMMd": "Dec 1", "12月1日")."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    if skeleton:
        return _format_skeleton(value, skeleton, reader_locale())
    return _format_date(value, fmt, reader_locale())


def datetime_filter(value: datetime | None) -> str:
    """Every moment the platform shows, in one format, on the reader's clock and named:
    "Jan 8, 2027, 7:00 AM EST", "2027年1月8日 20:00 中国标准时间" (the locale's medium date
    and short time; never seconds, never "1/8/27")."""
    if value is None:
        return ""
    return _format_datetime(value, reader_locale(), reader_timezone().zone)


@lru_cache(maxsize=16)
def _datetime_pattern(locale: str) -> str:
    combined = get_datetime_format("medium", locale=locale)
    return (combined.replace("{1}", get_date_format("medium", locale=locale).pattern)
            .replace("{0}", get_time_format("short", locale=locale).pattern))


@lru_cache(maxsize=8192)
def _format_datetime(value: datetime, locale: str, zone: str) -> str:
    """Once per moment, language and zone: the same comments and updates are shown on
    every view. The zone by its short name where it has one people use (EST, GMT, UTC),
    else by its long name ("China Standard Time"), never as a bare offset."""
    text = format_datetime(value, format=_datetime_pattern(locale), tzinfo=zone,
                           locale=locale)
    short = format_datetime(value, format="z", tzinfo=zone, locale=locale)
    name = short if short.isalpha() else format_datetime(value, format="zzzz", tzinfo=zone,
                                                         locale=locale)
    return f"{text} {name}"


def month_filter(value) -> str:
    """A month in the reader's language ("May 2027", "2027年5月")."""
    if value is None:
        return ""
    return _format_skeleton(value, "yMMMM", reader_locale())


def country_name(code: str | None) -> str:
    """A country's name for an ISO code in the reader's language ("United States", "美国"
    for US); "Rest of world" for ROW; the code itself when unknown."""
    if not code:
        return ""
    if code == "ROW":
        return _("Rest of world")
    return _country_names(reader_locale()).get(code, code)


@lru_cache(maxsize=8)
def _country_names(locale: str) -> dict[str, str]:
    return dict(country_choices(locale))


def markdown_filter(text: str | None) -> Markup:
    return render_markdown(text)


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(time_left, "time_left")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(month_filter, "month")
    app.add_template_filter(markdown_filter, "markdown")
    app.add_template_filter(markdown_text, "markdown_text")  # an email's text part
    app.add_template_filter(country_name, "country")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(age, "age")

    @app.context_processor
    def globals_():
        return {"now": utcnow()}
