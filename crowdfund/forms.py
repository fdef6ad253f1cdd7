"""Form fields shared across blueprints: money amounts, months, moments on the reader's
clock, countries, confirmations."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, support
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    DateTimeLocalField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.i18n import messages_path
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import MonthInput, Select, html_params

from crowdfund.i18n import _, _l, reader_locale, reader_timezone
from crowdfund.money import Money, MoneyError

#: C0 control characters and DEL; a one-line field refuses them all (a line break in a
#: title would reach an email header), a text area keeps tab and line breaks.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The largest value an INTEGER column holds (PostgreSQL); any int from a form fits it.
MAX_INT = 2**31 - 1


def _no_control_characters(form, field) -> None:
    raw = field.raw_data[0] if field.raw_data else None
    if not isinstance(raw, str):
        return
    pattern = _CONTROL_IN_TEXT_RE if isinstance(field, TextAreaField) else _CONTROL_RE
    if pattern.search(raw):
        raise StopValidation(_("Remove the control characters (such as line breaks) from "
                               "this field.") if pattern is _CONTROL_RE else
                             _("Remove the control characters from this text."))


def _within_integer_range(form, field) -> None:
    if isinstance(field.data, int) and not -MAX_INT <= field.data <= MAX_INT:
        raise StopValidation(_("That number is too large."))


#: WTForms' own catalogues for our languages where the names differ (its Simplified
#: Chinese is "zh", its Traditional "zh_TW").
_WTFORMS_LOCALES = {"zh_Hans": "zh", "zh_Hant": "zh_TW"}


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [_WTFORMS_LOCALES.get(locale, locale)],
                                     domain="wtforms")


class _Meta(DefaultMeta):
    def get_translations(self, form):
        """WTForms' built-in messages ("Not a valid integer value.") in the reader's
        language, Traditional Chinese included (Flask-WTF would give it the Simplified)."""
        return _wtforms_translations(str(reader_locale()))

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField):
            field.validators = [_no_control_characters, *field.validators]
        elif isinstance(field, IntegerField | SelectField):
            field.validators = [_within_integer_range, *field.validators]
        if field.short_name == "csrf_token":
            # No id: a page with several forms would repeat id="csrf_token".
            field.render_kw = {**(field.render_kw or {}), "id": False}
        return field


class BaseForm(FlaskForm):
    """The base of every form: CSRF (Flask-WTF), and input a database can store. One-line
    text fields refuse control characters (NUL, line breaks...), text areas all but tab and
    line breaks; numbers must fit an INTEGER column. Each refusal is an error next to its
    field, never a 500."""

    class Meta(_Meta, FlaskForm.Meta):
        pass


_AMOUNT_RE = re.compile(r"^\s*(-)?\s*(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?\s*$")


class AmountField(StringField):
    """A money amount typed in major units ("25", "1,250.50"); ``data`` is a Decimal.

    Only plain decimal notation is accepted: no exponent, no NaN or infinity, no
    floating point ever. Turning it into :class:`Money` needs the currency (see ``money_in``).
    """

    def __init__(self, label=None, validators=None, *, allow_zero: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allow_zero = allow_zero

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            return format(self.data, "f")
        return self.data or ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            self.raw_data = []  # only spaces is no amount: InputRequired says so
            return
        raw = valuelist[0].strip()
        match = _AMOUNT_RE.match(raw)
        if not match or (match.group(2) is None and match.group(3) is None):
            raise ValueError(_("Enter an amount such as 25 or 25.50."))
        try:
            value = Decimal(raw.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(_("Enter an amount such as 25 or 25.50.")) from None
        if value < 0:
            raise ValueError(_("The amount cannot be negative."))
        if value == 0 and not self.allow_zero:
            raise ValueError(_("The amount must be more than zero."))
        if value >= Decimal("1e13"):
            raise ValueError(_("That amount is too large."))
        self.data = value

    def money_in(self, currency: str) -> Money | None:
        """The amount in ``currency``; adds a field error and returns None if it cannot be."""
        if self.data is None:
            return None
        try:
            return Money.from_decimal(self.data, currency)
        except MoneyError as exc:
            self.errors = [*self.errors, str(exc)]
            return None


class MonthField(Field):
    """An ``<input type=month>``: "2027-03" -> date(2027, 3, 1)."""

    widget = MonthInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%Y-%m") if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            return
        match = re.fullmatch(r"(\d{4})-(\d{2})", valuelist[0].strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise ValueError(_("Enter a month as YYYY-MM."))
        self.data = date(int(match.group(1)), int(match.group(2)), 1)


NOT_A_MOMENT = _l("Enter a date and time such as 2027-03-14 09:00.")


class LocalDateTimeField(DateTimeLocalField):
    """An ``<input type=datetime-local>`` typed on the reader's clock (their time zone:
    ``i18n.reader_timezone``): ``data`` is an aware UTC datetime, and a stored one is shown
    back on that clock. A time the clocks skip (02:30 on the night New York springs forward)
    is refused with the time to type instead; a time that happens twice (the night the
    clocks go back) means the first of the two."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("invalid_value_message", NOT_A_MOMENT)
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return local_time(self.data).strftime(self.format[0]) if self.data else ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = utc_from_local(self.data)


def reader_zone_name() -> str:
    """The reader's time zone as IANA names it ("America/New_York")."""
    zone = reader_timezone()
    return getattr(zone, "zone", None) or str(zone)


def local_time(moment: datetime) -> datetime:
    """A stored (UTC) moment on the reader's clock, without its zone (what they type)."""
    return moment.astimezone(ZoneInfo(reader_zone_name())).replace(tzinfo=None)


def utc_from_local(typed: datetime) -> datetime:
    """A wall-clock time the reader typed (naive), as the UTC moment it means in their
    zone. Raises ValueError (a message for the field) when their clocks skip that time."""
    name = reader_zone_name()
    try:
        moment = typed.replace(tzinfo=ZoneInfo(name), fold=0).astimezone(UTC)
        shown = moment.astimezone(ZoneInfo(name)).replace(tzinfo=None)
    except OverflowError:  # the first or last day a datetime holds, moved past it
        raise ValueError(str(NOT_A_MOMENT)) from None
    if shown != typed:  # in a gap: fold=0 read it with the offset before the change
        raise ValueError(_(
            "%(typed)s does not exist in %(zone)s: the clocks go forward then. Choose "
            "another time, such as %(later)s.", typed=typed.strftime("%Y-%m-%d %H:%M"),
            zone=name.replace("_", " "), later=shown.strftime("%Y-%m-%d %H:%M")))
    return moment


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


@lru_cache(maxsize=8)
def country_select_choices(locale: str = "en_US") -> tuple[SelectChoice, ...]:
    """``country_choices`` after a blank "—", as select choices: built once per language (a
    pledge form is made on every pledge POST)."""
    return tuple(choices([("", "—"), *country_choices(locale)]))


@lru_cache(maxsize=8)
def country_codes(locale: str = "en_US") -> frozenset[str]:
    return frozenset(code for code, _ in country_choices(locale))


class CountrySelect(Select):
    """The country ``<select>``: its ~250 options, named in the reader's language, rendered
    once per language and selected value."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        known = field.data == "" or field.data in country_codes()
        options = _country_options(field.data if known else None, reader_locale())
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704 - escaped parts


@lru_cache(maxsize=512)
def _country_options(selected: str | None, locale: str) -> str:
    return "".join(
        Select.render_option(Choice(value=choice.value, label=choice.label,
                                    selected=choice.value == selected, render_kw=None))
        for choice in country_select_choices(locale))


class CountryField(SelectField):
    """A country (ISO 3166 alpha-2) or nothing, from the territory list built once. WTForms'
    own check of a choice builds ~250 choice objects per request (it was a fifth of a
    pledge POST); this one looks the code up in a set, and its options are rendered once
    per selected country (``CountrySelect``)."""

    widget = CountrySelect()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.choices = country_select_choices(reader_locale())

    def pre_validate(self, form) -> None:
        if self.data and self.data not in country_codes():
            raise ValidationError(_("Choose a country from the list."))


@lru_cache(maxsize=8)
def country_choices(locale: str = "en_US") -> tuple[tuple[str, str], ...]:
    """ISO 3166 alpha-2 countries by name (Babel's territory list, regions left out); built
    once per locale and process (it was 28% of a pledge POST)."""
    names = Locale.parse(locale).territories
    countries = [(code, name) for code, name in names.items()
                 if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN",
                                                                        "QO", "XA", "XB", "XK"}]
    return tuple(sorted(countries, key=lambda item: item[1]))


class IdField(HiddenField):
    """A hidden id (``parent_id``...): ``data`` is an int that fits an INTEGER column, or
    None when empty; anything else is a field error, never a query with it."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "") or ""
        if not raw.strip():
            return
        if not raw.isascii() or not raw.strip().isdigit() or not 0 < int(raw) <= MAX_INT:
            raise ValueError(_("That is not something you can reply to."))
        self.data = int(raw)


class ConfirmForm(BaseForm):
    """A button that changes state: CSRF and nothing else."""

