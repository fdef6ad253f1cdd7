"""Form fields shared across blueprints: money amounts, months, countries, confirmations."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import MonthInput, Select, html_params

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
        raise StopValidation("Remove the control characters (such as line breaks) from "
                             "this field." if pattern is _CONTROL_RE else
                             "Remove the control characters from this text.")


def _within_integer_range(form, field) -> None:
    if isinstance(field.data, int) and not -MAX_INT <= field.data <= MAX_INT:
        raise StopValidation("That number is too large.")


class _Meta(DefaultMeta):
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
            raise ValueError("Enter an amount such as 25 or 25.50.")
        try:
            value = Decimal(raw.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            raise ValueError("Enter an amount such as 25 or 25.50.") from None
        if value < 0:
            raise ValueError("The amount cannot be negative.")
        if value == 0 and not self.allow_zero:
            raise ValueError("The amount must be more than zero.")
        if value >= Decimal("1e13"):
            raise ValueError("That amount is too large.")
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
            raise ValueError("Enter a month as YYYY-MM.")
        self.data = date(int(match.group(1)), int(match.group(2)), 1)


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


@lru_cache(maxsize=8)
def country_select_choices(locale: str = "en_US") -> tuple[SelectChoice, ...]:
    """``country_choices`` after a blank "—", as select choices: built once (a pledge form
    is made on every pledge POST)."""
    return tuple(choices([("", "—"), *country_choices(locale)]))


@lru_cache(maxsize=8)
def country_codes(locale: str = "en_US") -> frozenset[str]:
    return frozenset(code for code, _ in country_choices(locale))


class CountrySelect(Select):
    """The country ``<select>``: its ~250 options rendered once per selected value."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        known = field.data == "" or field.data in country_codes()
        options = _country_options(field.data if known else None)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704 - escaped parts


@lru_cache(maxsize=512)
def _country_options(selected: str | None) -> str:
    return "".join(
        Select.render_option(Choice(value=choice.value, label=choice.label,
                                    selected=choice.value == selected, render_kw=None))
        for choice in country_select_choices())


class CountryField(SelectField):
    """A country (ISO 3166 alpha-2) or nothing, from the territory list built once. WTForms'
    own check of a choice builds ~250 choice objects per request (it was a fifth of a
    pledge POST); this one looks the code up in a set, and its options are rendered once
    per selected country (``CountrySelect``)."""

    widget = CountrySelect()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.choices = country_select_choices()

    def pre_validate(self, form) -> None:
        if self.data and self.data not in country_codes():
            raise ValidationError("Choose a country from the list.")


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
            raise ValueError("That is not something you can reply to.")
        self.data = int(raw)


class ConfirmForm(BaseForm):
    """A button that changes state: CSRF and nothing else."""

