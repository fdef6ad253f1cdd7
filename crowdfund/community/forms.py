"""The update form of the studio."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crowdfund.community.models import DELIVERY_LABELS
from crowdfund.forms import AmountField, BaseForm, IdField, MonthField, choices


class UpdateForm(BaseForm):
    title = StringField("Title", validators=[DataRequired(message="Give the update a title."),
                                             Length(max=120)])
    body_md = TextAreaField("Update", validators=[
        DataRequired(message="Write the update."), Length(min=20, max=20_000)])
    visibility = RadioField("Who can read it", default="public", choices=choices([
        ("public", "Everyone"), ("backers", "Backers only")]),
        validators=[InputRequired(message="Choose who can read it.")])


class CommentForm(BaseForm):
    body = TextAreaField("Your comment", validators=[
        DataRequired(message="Write something first."), Length(max=5000)])
    kind = RadioField("This is", default="comment", choices=choices([
        ("comment", "A comment"), ("question", "A question for the founder")]))
    parent_id = IdField()


class ReportForm(BaseForm):
    reason = StringField("What is wrong with it?", validators=[
        DataRequired(message="Tell us what is wrong with it."), Length(max=300)])


class ModerationForm(BaseForm):
    reason = StringField("Reason (shown in place of a hidden comment)", validators=[
        Length(max=500)])


class DeliveryForm(BaseForm):
    tier_id = SelectField("Reward", coerce=int,
                          validators=[InputRequired(message="Choose a reward.")])
    status = RadioField("Status", choices=choices(
        [(k.value, label) for k, label in DELIVERY_LABELS.items()]),
        validators=[InputRequired(message="Choose a delivery status.")])
    expected_on = MonthField("New expected month (for a delay)", validators=[Optional()])
    note = TextAreaField("Note to backers", validators=[Length(max=2000)])

    def __init__(self, campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_id.choices = [(t.id, t.title) for t in campaign.tiers]


class SpendingForm(BaseForm):
    budget_line_id = SelectField("Budget line", validators=[Optional()])
    amount = AmountField("Amount spent", validators=[InputRequired(message="Enter the amount.")])
    spent_on = DateField("Spent on", validators=[InputRequired(message="Enter the date.")])
    note = StringField("What it paid for", validators=[
        DataRequired(message="Say what it was spent on."), Length(max=300)])

    def __init__(self, campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget_line_id.choices = [("", "Not in the budget")] + [
            (str(line.id), line.label) for line in campaign.budget_lines]

    @property
    def line_id(self) -> int | None:
        return int(self.budget_line_id.data) if (self.budget_line_id.data or "").isdigit() \
            else None
