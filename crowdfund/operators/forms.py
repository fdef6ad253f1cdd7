"""Operator forms."""


from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crowdfund.auth.models import VerificationStatus
from crowdfund.auth.states import VERIFICATION_LABELS
from crowdfund.forms import BaseForm, choices
from crowdfund.i18n import _, _l


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
