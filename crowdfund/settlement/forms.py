"""Forms for money going back and out: refunds, cancelling a funded campaign, payouts."""

from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from crowdfund.forms import AmountField, BaseForm


class RefundForm(BaseForm):
    amount = AmountField("Amount to refund",
                         validators=[InputRequired(message="Enter an amount.")])
    reason = StringField("Reason (the backer sees it)", validators=[Length(max=300)])


class CancelFundedForm(BaseForm):
    reason = TextAreaField("Reason (backers see it)",
                           validators=[DataRequired(message="Give a reason."),
                                       Length(min=5, max=300)])


class MarkPaidForm(BaseForm):
    reference = StringField("Payment reference",
                            validators=[DataRequired(message="Enter the payment reference."),
                                        Length(min=3, max=200)])
