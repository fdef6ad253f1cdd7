"""Forms for money going back and out: refunds, cancelling a funded campaign, payouts."""

from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from crowdfund.forms import AmountField, BaseForm
from crowdfund.i18n import _l


class RefundForm(BaseForm):
    amount = AmountField(_l("Amount to refund"),
                         validators=[InputRequired(message=_l("Enter an amount."))])
    reason = StringField(_l("Reason (the backer sees it)"), validators=[Length(max=300)])


class CancelFundedForm(BaseForm):
    reason = TextAreaField(_l("Reason (backers see it)"),
                           validators=[DataRequired(message=_l("Give a reason.")),
                                       Length(min=5, max=300)])


class MarkPaidForm(BaseForm):
    reference = StringField(_l("Payment reference"),
                            validators=[DataRequired(message=_l(
                                "Enter the payment reference.")), Length(min=3, max=200)])
