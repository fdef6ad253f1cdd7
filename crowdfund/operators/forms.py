"""Operator forms."""


from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from crowdfund.auth.models import VerificationStatus
from crowdfund.auth.states import VERIFICATION_LABELS
from crowdfund.campaigns.categories import CATEGORIES
from crowdfund.forms import BaseForm, choices
from crowdfund.i18n import _, _l
from crowdfund.money import CURRENCY_EXPONENTS, currency_label


class VerificationForm(BaseForm):
    status = SelectField(
        _l("Identity"),
        choices=choices((s.value, VERIFICATION_LABELS[s]) for s in VerificationStatus),
        validators=[DataRequired()],
    )
    legal_name = StringField(_l("Legal name as on the document"),
                             validators=[Length(max=200)])
    note = TextAreaField(
        _l("How it was checked, or why it is refused (the founder reads a refusal)"),
        validators=[Optional(), Length(max=2000)])

    def validate_legal_name(self, field):
        if self.status.data == VerificationStatus.VERIFIED.value and not (field.data or "").strip():
            raise ValidationError(_("Record the legal name you checked."))


class ResolveDifferenceForm(BaseForm):
    reason = TextAreaField(_l("What you found and did"),
                           validators=[DataRequired(message=_l("Say what you found and did.")),
                                       Length(min=5, max=500, message=_l(
                                           "Between 5 and 500 characters."))])


def _source_field() -> StringField:
    return StringField(_l("Source"), description=_l("Where the rates come from, such as "
                                                    "ECB reference rate."),
                       validators=[DataRequired(message=_l("Say where the rates come from.")),
                                   Length(max=200)])


class UploadRatesForm(BaseForm):
    """Exchange rates from a CSV file (``equity/rate_loading.py``)."""

    #: Its hint (the columns, an example line) is written by the template, in <code>.
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))])
    source = _source_field()


class AddRateForm(BaseForm):
    """One exchange rate typed by hand."""

    effective_on = DateField(_l("Effective from"), validators=[
        InputRequired(message=_l("Enter the day it applies from (YYYY-MM-DD)."))])
    base = SelectField(_l("From (base currency)"))
    quote = SelectField(_l("To (quote currency)"))
    rate = StringField(_l("Rate"), description=_l("What 1 of the base currency is worth in "
                                                   "the quote currency, such as 1.0834."),
                       validators=[DataRequired(message=_l("Enter the rate."))])
    source = _source_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        codes = choices((code, currency_label(code)) for code in sorted(CURRENCY_EXPONENTS))
        self.base.choices = self.quote.choices = codes


class FlexibleFundingForm(BaseForm):
    """Turn flexible funding off in a category, or allow it again (``campaigns.funding``)."""

    category = SelectField(_l("Category"),
                           validators=[DataRequired(message=_l("Choose a category."))])
    allowed = RadioField(_l("Flexible funding"), choices=choices([
        ("off", _l("Turn it off: new campaigns in this category are all-or-nothing")),
        ("on", _l("Allow it again"))]), validators=[InputRequired(message=_l("Choose one."))])
    reason = TextAreaField(_l("Why (kept in the history below)"), validators=[
        DataRequired(message=_l("Say why.")),
        Length(min=5, max=500, message=_l("Between 5 and 500 characters."))])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = choices([("", _("Choose a category")), *CATEGORIES.items()])
