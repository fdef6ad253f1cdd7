"""Forms of the campaign studio, review and discovery."""

from __future__ import annotations

from flask import current_app
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from crowdfund.campaigns.categories import CATEGORIES
from crowdfund.campaigns.models import REST_OF_WORLD
from crowdfund.campaigns.states import CampaignKind
from crowdfund.forms import AmountField, BaseForm, MonthField, choices, country_choices
from crowdfund.money import currency_label

IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "gif"]


def _category_choices():
    return choices([("", "Choose a category"), *CATEGORIES.items()])


def _currency_choices():
    return choices((c, currency_label(c)) for c in current_app.config["SUPPORTED_CURRENCIES"])


class _DurationMixin:
    def validate_duration_days(self, field):
        lo = current_app.config["CAMPAIGN_MIN_DAYS"]
        hi = current_app.config["CAMPAIGN_MAX_DAYS"]
        if field.data is not None and not lo <= field.data <= hi:
            raise ValidationError(f"A campaign runs for {lo} to {hi} days.")


class NewCampaignForm(_DurationMixin, BaseForm):
    """The few facts needed to start a draft."""

    title = StringField("Title", validators=[DataRequired(), Length(max=80)])
    kind = RadioField(
        "Kind of campaign",
        choices=choices([(CampaignKind.REWARD.value, "Rewards: backers get products or perks"),
                         (CampaignKind.EQUITY.value, "Equity: investors get securities")]),
        default=CampaignKind.REWARD.value,
        validators=[InputRequired()],
    )
    category = SelectField("Category", validators=[DataRequired(message="Choose a category.")])
    currency = SelectField("Currency", default="USD", validators=[DataRequired()])
    goal = AmountField("Funding goal", validators=[InputRequired(message="Enter a goal.")])
    duration_days = IntegerField(
        "Length (days)", default=30,
        validators=[InputRequired(message="Enter a number of days.")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = _category_choices()
        self.currency.choices = _currency_choices()


class CampaignStoryForm(BaseForm):
    """What a founder can change while the campaign is live."""

    title = StringField("Title", validators=[DataRequired(), Length(max=80)])
    blurb = TextAreaField("Short blurb", validators=[Optional(), Length(max=160)],
                          description="One or two sentences, shown on campaign cards.")
    category = SelectField("Category", validators=[DataRequired(message="Choose a category.")])
    cover = FileField(
        "Cover image",
        validators=[FileAllowed(IMAGE_TYPES, "Use a JPEG, PNG, WebP or GIF image.")],
        description="JPEG, PNG, WebP or GIF, up to 8 MB, at least 640 x 360 pixels, landscape; "
                    "shown at 16:9.",
    )
    #: A cover chosen in an attempt that failed on another field (``uploads.pending_token``).
    kept_cover = HiddenField()
    description_md = TextAreaField("Story", validators=[Optional(), Length(max=50_000)],
                                   description="Markdown: **bold**, _italic_, lists, links.")
    risks_md = TextAreaField("Risks and challenges",
                             validators=[Optional(), Length(max=10_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = _category_choices()


class CampaignDraftForm(_DurationMixin, CampaignStoryForm):
    """Everything, before launch: also the goal, currency, length and address."""

    slug = StringField("Web address", validators=[DataRequired(), Length(max=80)],
                       description="Letters, digits and hyphens: /campaigns/your-address")
    currency = SelectField("Currency", validators=[DataRequired()])
    goal = AmountField("Funding goal", validators=[InputRequired(message="Enter a goal.")])
    duration_days = IntegerField("Length (days)",
                                 validators=[InputRequired(message="Enter a number of days.")])
    scheduled_launch_at = DateTimeLocalField(
        "Scheduled launch (UTC, optional)", validators=[Optional()], format="%Y-%m-%dT%H:%M",
        description="Once approved, the campaign goes live at this time by itself.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = _currency_choices()


#: Destinations one reward can list (every country is covered by "Rest of world").
MAX_SHIPPING_ROWS = 100


class ShippingRateForm(Form):
    destination = SelectField("Destination", validators=[Optional()])
    fee = AmountField("Fee", allow_zero=True, validators=[Optional()])


class TierForm(BaseForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("What backers get",
                                validators=[Optional(), Length(max=5000)])
    minimum = AmountField("Minimum pledge",
                          validators=[InputRequired(message="Enter the minimum pledge.")])
    quantity_limit = IntegerField(
        "Limited quantity (optional)",
        validators=[Optional(), NumberRange(min=1, max=1_000_000,
                                            message="Between 1 and 1,000,000 units.")],
    )
    estimated_delivery = MonthField("Estimated delivery", validators=[Optional()])
    ships = RadioField("Shipping",
                       choices=choices([("no", "No shipping (digital or collected in person)"),
                                        ("yes", "Ships: a flat fee per destination")]),
                       default="no", validators=[InputRequired()])
    shipping = FieldList(FormField(ShippingRateForm), min_entries=1,
                         max_entries=MAX_SHIPPING_ROWS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._destinations = choices([("", "—"), (REST_OF_WORLD, "Rest of world"),
                                      *country_choices()])
        for entry in self.shipping.entries:
            entry.form.destination.choices = self._destinations

    def add_rows(self, count: int = 1) -> None:
        """Empty shipping rows to fill in (up to the most a reward can have)."""
        for _ in range(count):
            if len(self.shipping.entries) >= MAX_SHIPPING_ROWS:
                return
            self.shipping.append_entry().form.destination.choices = self._destinations

    def leave_blank_rows(self, wanted: int = 1) -> None:
        """At least ``wanted`` empty rows after the filled ones."""
        blank = 0
        for entry in reversed(self.shipping.entries):
            if entry.form.destination.data or entry.form.fee.data is not None:
                break
            blank += 1
        self.add_rows(max(0, wanted - blank))


class BudgetLineForm(BaseForm):
    label = StringField("What it pays for",
                        validators=[DataRequired(), Length(max=120)])
    amount = AmountField("Amount", validators=[InputRequired(message="Enter an amount.")])


class ReasonForm(BaseForm):
    """A state change that needs an explanation (reject, cancel, suspend)."""

    reason = TextAreaField("Reason", validators=[DataRequired(message="Give a reason."),
                                                 Length(min=5, max=4000)])


class ApproveForm(BaseForm):
    note = TextAreaField("Note for the audit trail (optional)",
                         validators=[Optional(), Length(max=2000)])


class StaffPickForm(BaseForm):
    picked = BooleanField("Staff pick")
