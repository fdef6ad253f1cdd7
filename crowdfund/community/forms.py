"""The update form of the studio."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crowdfund.community.models import DELIVERY_LABELS
from crowdfund.forms import AmountField, BaseForm, IdField, MonthField, choices
from crowdfund.i18n import _, _l


class UpdateForm(BaseForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give the update a title.")), Length(max=120)])
    body_md = TextAreaField(_l("Update"), validators=[
        DataRequired(message=_l("Write the update.")), Length(min=20, max=20_000)])
    visibility = RadioField(_l("Who can read it"), default="public", choices=choices([
        ("public", _l("Everyone")), ("backers", _l("Backers only"))]),
        validators=[InputRequired(message=_l("Choose who can read it."))])


class CommentForm(BaseForm):
    body = TextAreaField(_l("Your comment"), validators=[
        DataRequired(message=_l("Write something first.")), Length(max=5000)])
    # TRANSLATORS: the label of a choice: "This is: a comment / a question for the founder"
    kind = RadioField(_l("This is"), default="comment", choices=choices([
        ("comment", _l("A comment")), ("question", _l("A question for the founder"))]))
    parent_id = IdField()


class ReportForm(BaseForm):
    reason = StringField(_l("What is wrong with it?"), validators=[
        DataRequired(message=_l("Tell us what is wrong with it.")), Length(max=300)])


class ModerationForm(BaseForm):
    reason = StringField(_l("Reason (shown in place of a hidden comment)"), validators=[
        Length(max=500)])


class DeliveryForm(BaseForm):
    tier_id = SelectField(_l("Reward"), coerce=int,
                          validators=[InputRequired(message=_l("Choose a reward."))])
    status = RadioField(_l("Status"), choices=choices(
        [(k.value, label) for k, label in DELIVERY_LABELS.items()]),
        validators=[InputRequired(message=_l("Choose a delivery status."))])
    expected_on = MonthField(_l("New expected month (for a delay)"), validators=[Optional()])
    note = TextAreaField(_l("Note to backers"), validators=[Length(max=2000)])

    def __init__(self, campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_id.choices = [(t.id, t.title) for t in campaign.tiers]


class SpendingForm(BaseForm):
    budget_line_id = SelectField(_l("Budget line"), validators=[Optional()])
    amount = AmountField(_l("Amount spent"), validators=[
        InputRequired(message=_l("Enter the amount."))])
    spent_on = DateField(_l("Spent on"), validators=[
        InputRequired(message=_l("Enter the date."))])
    note = StringField(_l("What it paid for"), validators=[
        DataRequired(message=_l("Say what it was spent on.")), Length(max=300)])

    def __init__(self, campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget_line_id.choices = [("", _("Not in the budget"))] + [
            (str(line.id), line.label) for line in campaign.budget_lines]

    @property
    def line_id(self) -> int | None:
        return int(self.budget_line_id.data) if (self.budget_line_id.data or "").isdigit() \
            else None
