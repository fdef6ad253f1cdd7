"""The offering terms form of the studio."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from crowdfund.equity.models import (
    ALLOCATION_LABELS,
    CATEGORY_LABELS,
    DOCUMENT_LABELS,
    SECURITY_LABELS,
)
from crowdfund.forms import (
    AmountField,
    BaseForm,
    LocalDateTimeField,
    choices,
    country_choices,
)
from crowdfund.i18n import _, _l, reader_locale


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
            raise ValueError(_("Enter a percentage such as 20 or 7.5.")) from None
        if not value.is_finite() or value.as_tuple().exponent < -2:
            raise ValueError(_("Enter a percentage with at most two decimals."))
        if value < 0 or value >= 100:
            raise ValueError(_("Enter a percentage from 0 to under 100."))
        self.data = int(value * 100)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(Decimal(self.data) / 100)


def _countries() -> list:
    """Every country by its name in the reader's language, after "Choose a country"."""
    return choices([("", _("Choose a country")), *country_choices(reader_locale())])


class OfferingForm(BaseForm):
    issuer_legal_name = StringField(_l("Issuer's legal name"), validators=[
        DataRequired(message=_l("Enter the company's legal name.")), Length(max=200)])
    issuer_jurisdiction = SelectField(_l("Incorporated in"), validators=[
        DataRequired(message=_l("Choose where the company is incorporated."))])
    incorporated_on = DateField(_l("Incorporation date"), validators=[
        InputRequired(message=_l("Enter the incorporation date (YYYY-MM-DD)."))])
    security = RadioField(_l("Security offered"), choices=choices(
                              (s.value, label) for s, label in SECURITY_LABELS.items()),
                          validators=[InputRequired(message=_l("Choose the security."))])
    price_per_share = AmountField(_l("Price per share"), validators=[Optional()])
    pre_money_valuation = AmountField(_l("Pre-money valuation"), validators=[Optional()])
    valuation_cap = AmountField(_l("Valuation cap"), validators=[Optional()])
    discount = PercentField(_l("Discount (%)"), validators=[Optional()])
    interest_rate = PercentField(_l("Interest rate (% a year)"), validators=[Optional()])
    maturity_on = DateField(_l("Maturity date"), validators=[Optional()])
    maximum = AmountField(_l("Maximum raise"), validators=[InputRequired(
        message=_l("Enter the most you will accept."))])
    minimum_investment = AmountField(_l("Minimum investment"), validators=[InputRequired(
        message=_l("Enter the smallest investment you accept."))])
    allocation = RadioField(_l("If commitments exceed the maximum"), choices=choices(
        (a.value, label) for a, label in ALLOCATION_LABELS.items()),
        validators=[InputRequired(message=_l("Choose how to allocate."))])
    use_of_proceeds_md = TextAreaField(_l("Use of proceeds"), validators=[
        DataRequired(message=_l("Say what the money will be used for.")),
        Length(min=20, max=8000)])
    #: Live offerings only: what changed and why, for investors.
    change_summary = TextAreaField(_l("What changes and why (investors read this)"),
                                   validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.issuer_jurisdiction.choices = _countries()

    def validate_incorporated_on(self, field):
        if field.data is not None and field.data.year < 1800:
            raise ValidationError(_("Enter a real incorporation date."))


class InvestorProfileForm(BaseForm):
    jurisdiction = SelectField(_l("Country you live in"), validators=[
        DataRequired(message=_l("Choose the country you live in."))])
    annual_income = AmountField(_l("Annual income"), allow_zero=True, validators=[
        InputRequired(message=_l("Enter your annual income (0 if none)."))])
    net_worth = AmountField(_l("Net worth (not counting your home)"), allow_zero=True,
                            validators=[InputRequired(
                                message=_l("Enter your net worth (0 if none)."))])
    accredited = BooleanField(
        _l("I am an accredited or sophisticated investor"),
        description=_l("Residents of the United States: an accredited investor. Residents of "
                       "the European Union: a sophisticated investor as the EU crowdfunding "
                       "regulation defines it (no knowledge test, warning or reflection "
                       "period). Residents of the United Kingdom choose their category of "
                       "investor on the next page."))
    financial_assets = AmountField(
        _l("Financial assets"), allow_zero=True, validators=[Optional()],
        description=_l("Residents of China only: deposits, securities, funds and the like, "
                       "not your home. China's rules open investing to qualified investors."))
    invested_elsewhere = AmountField(
        _l("Invested in crowdfunding elsewhere in the last 12 months"), allow_zero=True,
        validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jurisdiction.choices = _countries()


class EducationForm(BaseForm):
    accept = BooleanField(_l("I understand that I can lose all of the money I invest, and "
                             "that I may not be able to sell my investment."))

    @classmethod
    def with_quiz(cls, quiz):
        """A form class with one yes/no question per quiz entry. The answers posted are the
        keys "yes" and "no" (what the quiz's right answers are), whatever the language."""

        class Quiz(cls):
            pass

        for name, question, _right in quiz:
            setattr(Quiz, name, RadioField(question, choices=choices([("yes", _l("Yes")),
                                                                      ("no", _l("No"))]),
                                           validators=[InputRequired(
                                               message=_l("Answer this question."))]))
        return Quiz


class CategoryForm(BaseForm):
    """UK: the investor's category, and their statement that it is true of them."""

    category = RadioField(_l("Your category of investor"), choices=choices(
        (c.value, label) for c, label in CATEGORY_LABELS.items()),
        validators=[InputRequired(message=_l("Choose your category of investor."))])
    confirm = BooleanField(_l("The statement of the category I chose is true of me, and I "
                              "make it today."))


class AssessmentForm(BaseForm):
    @classmethod
    def with_questions(cls, questions):
        """A form class with one multiple-choice question per entry; the values posted are
        the choices' keys (the right answer is one of them), whatever the language."""

        class Assessment(cls):
            pass

        for question in questions:
            setattr(Assessment, question.name, RadioField(
                question.text, choices=choices(question.choices),
                validators=[InputRequired(message=_l("Answer this question."))]))
        return Assessment


class InvestForm(BaseForm):
    amount = AmountField(_l("Amount to invest"), validators=[InputRequired(
        message=_l("Enter how much you want to invest."))])
    #: Set on the second step, after the investor saw what the amount buys.
    confirmed = HiddenField()
    #: EU, above the warning line: the investor's explicit consent (``equity.eu``).
    consent = BooleanField(_l("I have read the risk warning and want to invest this amount."))


class DocumentForm(BaseForm):
    # TRANSLATORS: the kind of a disclosure document (business plan, financial statements...).
    kind = SelectField(_l("Kind"), choices=choices((k.value, label)
                                                   for k, label in DOCUMENT_LABELS.items()))
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give the document a title.")), Length(max=120)])
    document = FileField(_l("PDF document"), validators=[
        FileRequired(message=_l("Choose a PDF file.")),
        FileAllowed(["pdf"], message=_l("Upload a PDF document."))])


class EarlyCloseForm(BaseForm):
    #: Typed on the founder's clock (their time zone), stored as UTC.
    deadline = LocalDateTimeField(_l("New deadline"), validators=[InputRequired(
        message=_l("Choose the new deadline."))])


class EuKnowledgeForm(BaseForm):
    """The EU entry knowledge test: one multiple-choice question per entry (answers posted
    as keys, whatever the language)."""

    @classmethod
    def with_test(cls, test_entries):
        class Test(cls):
            #: The questions, for the template to list in their order.
            test = tuple(test_entries)

        for name, question, options, _right in test_entries:
            setattr(Test, name, RadioField(question, choices=choices(options), validators=[
                InputRequired(message=_l("Answer this question."))]))
        return Test


class NotAppropriateForm(BaseForm):
    accept = BooleanField(_l("I understand that investing through crowdfunding may not be "
                             "appropriate for me, and I want to go on."), validators=[
        InputRequired(message=_l("Tick the box to go on."))])


class LossSimulationForm(BaseForm):
    seen = BooleanField(_l("I have seen how much I could lose without it changing how I "
                           "live."), validators=[InputRequired(message=_l("Tick the box."))])
