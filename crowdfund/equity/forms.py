"""The offering terms form of the studio."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from crowdfund.equity.models import ALLOCATION_LABELS, DOCUMENT_LABELS, SECURITY_LABELS
from crowdfund.forms import AmountField, BaseForm, choices, country_choices


class PercentField(StringField):
    """A percentage such as 20 or 7.5, kept as basis points (an int, never a float)."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip().rstrip("%").strip()
        if not raw:
            return
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError("Enter a percentage such as 20 or 7.5.") from None
        if not value.is_finite() or value.as_tuple().exponent < -2:
            raise ValueError("Enter a percentage with at most two decimals.")
        if value < 0 or value >= 100:
            raise ValueError("Enter a percentage from 0 to under 100.")
        self.data = int(value * 100)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(Decimal(self.data) / 100)


class OfferingForm(BaseForm):
    issuer_legal_name = StringField("Issuer's legal name", validators=[
        DataRequired(message="Enter the company's legal name."), Length(max=200)])
    issuer_jurisdiction = SelectField("Incorporated in", validators=[
        DataRequired(message="Choose where the company is incorporated.")])
    incorporated_on = DateField("Incorporation date", validators=[
        InputRequired(message="Enter the incorporation date (YYYY-MM-DD).")])
    security = RadioField("Security offered", choices=choices(
                              (s.value, label) for s, label in SECURITY_LABELS.items()),
                          validators=[InputRequired(message="Choose the security.")])
    price_per_share = AmountField("Price per share", validators=[Optional()])
    pre_money_valuation = AmountField("Pre-money valuation", validators=[Optional()])
    valuation_cap = AmountField("Valuation cap", validators=[Optional()])
    discount = PercentField("Discount (%)", validators=[Optional()])
    interest_rate = PercentField("Interest rate (% a year)", validators=[Optional()])
    maturity_on = DateField("Maturity date", validators=[Optional()])
    maximum = AmountField("Maximum raise", validators=[InputRequired(
        message="Enter the most you will accept.")])
    minimum_investment = AmountField("Minimum investment", validators=[InputRequired(
        message="Enter the smallest investment you accept.")])
    allocation = RadioField("If commitments exceed the maximum", choices=choices(
        (a.value, label) for a, label in ALLOCATION_LABELS.items()),
        validators=[InputRequired(message="Choose how to allocate.")])
    use_of_proceeds_md = TextAreaField("Use of proceeds", validators=[
        DataRequired(message="Say what the money will be used for."), Length(min=20, max=8000)])
    #: Live offerings only: what changed and why, for investors.
    change_summary = TextAreaField("What changes and why (investors read this)",
                                   validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.issuer_jurisdiction.choices = choices([("", "Choose a country"),
                                                    *country_choices()])

    def validate_incorporated_on(self, field):
        if field.data is not None and field.data.year < 1800:
            raise ValidationError("Enter a real incorporation date.")


class InvestorProfileForm(BaseForm):
    jurisdiction = SelectField("Country you live in", validators=[
        DataRequired(message="Choose the country you live in.")])
    annual_income = AmountField("Annual income", allow_zero=True, validators=[
        InputRequired(message="Enter your annual income (0 if none).")])
    net_worth = AmountField("Net worth (not counting your home)", allow_zero=True, validators=[
        InputRequired(message="Enter your net worth (0 if none).")])
    accredited = BooleanField("I am an accredited (or certified sophisticated) investor")
    invested_elsewhere = AmountField(
        "Invested in crowdfunding elsewhere in the last 12 months", allow_zero=True,
        validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jurisdiction.choices = choices([("", "Choose a country"), *country_choices()])


class EducationForm(BaseForm):
    accept = BooleanField("I understand that I can lose all of the money I invest, and "
                          "that I may not be able to sell my investment.")

    @classmethod
    def with_quiz(cls, quiz):
        """A form class with one yes/no question per quiz entry."""

        class Quiz(cls):
            pass

        for name, question, _right in quiz:
            setattr(Quiz, name, RadioField(question, choices=choices([("yes", "Yes"),
                                                                      ("no", "No")]),
                                           validators=[InputRequired(
                                               message="Answer this question.")]))
        return Quiz


class InvestForm(BaseForm):
    amount = AmountField("Amount to invest", validators=[InputRequired(
        message="Enter how much you want to invest.")])
    #: Set on the second step, after the investor saw what the amount buys.
    confirmed = HiddenField()


class DocumentForm(BaseForm):
    kind = SelectField("Kind", choices=choices((k.value, label)
                                               for k, label in DOCUMENT_LABELS.items()))
    title = StringField("Title", validators=[DataRequired(message="Give the document a title."),
                                             Length(max=120)])
    document = FileField("PDF document", validators=[
        FileRequired(message="Choose a PDF file."),
        FileAllowed(["pdf"], message="Upload a PDF document.")])


class EarlyCloseForm(BaseForm):
    deadline = DateTimeLocalField("New deadline (UTC)", format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(message="Choose the new deadline.")])
