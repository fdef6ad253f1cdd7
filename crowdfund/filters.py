"""Jinja filters and globals: money, dates, time left, Markdown, labels."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from babel.dates import format_date, format_datetime
from flask import Flask, current_app
from markupsafe import Markup

from crowdfund.db import utcnow
from crowdfund.markdown import render_markdown
from crowdfund.money import Money


def money(value, currency: str | None = None, whole: bool = False) -> str:
    """``{{ campaign.goal | money }}`` or ``{{ minor_units | money("USD") }}``."""
    if value is None:
        return ""
    if not isinstance(value, Money):
        value = Money(int(value), currency)
    return value.format(current_app.config["BABEL_LOCALE"], whole=whole)


def time_left(deadline: datetime | None, now: datetime | None = None) -> str:
    """Backer's terms: "3 days to go", "5 hours to go", "12 minutes to go", "ended"."""
    if deadline is None:
        return ""
    seconds = (deadline - (now or utcnow())).total_seconds()
    if seconds <= 0:
        return "ended"
    days, hours, minutes = seconds / 86400, seconds / 3600, seconds / 60
    if days >= 2:
        return f"{int(days)} days to go"
    if hours >= 2:
        return f"{int(hours)} hours to go"
    if minutes >= 2:
        return f"{int(minutes)} minutes to go"
    return "less than 2 minutes to go"


@lru_cache(maxsize=4096)
def _format_date(value, fmt: str, locale: str) -> str:
    """Babel's date formatting once per value (a chart's days repeat on every view)."""
    return format_date(value, format=fmt, locale=locale)


def date_filter(value, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _format_date(value, fmt, current_app.config["BABEL_LOCALE"])


def datetime_filter(value, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _format_datetime(value, fmt, current_app.config["BABEL_LOCALE"])


@lru_cache(maxsize=8192)
def _format_datetime(value, fmt: str, locale: str) -> str:
    """Once per timestamp: the same comments and updates are shown on every view."""
    return format_datetime(value, format=fmt, tzinfo="UTC", locale=locale) + " UTC"


def month_filter(value) -> str:
    if value is None:
        return ""
    return _format_date(value, "MMMM y", current_app.config["BABEL_LOCALE"])


def markdown_filter(text: str | None) -> Markup:
    return render_markdown(text)


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(time_left, "time_left")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(month_filter, "month")
    app.add_template_filter(markdown_filter, "markdown")

    @app.context_processor
    def globals_():
        return {"now": utcnow()}
