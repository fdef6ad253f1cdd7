"""Forms of the campaign studio, review and discovery."""

from __future__ import annotations

from flask import current_app
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
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

from crowdfund.campaigns.categories import CATEGORIES, category_label
from crowdfund.campaigns.funding import disabled_categories
from crowdfund.campaigns.models import REST_OF_WORLD
from crowdfund.campaigns.states import CampaignKind, FundingModel
from crowdfund.filters import word_list
from crowdfund.forms import (
    AmountField,
    BaseForm,
    LocalDateTimeField,
    MonthField,
    choices,
    country_choices,
    reader_zone_name,
)
from crowdfund.i18n import _, _l, reader_locale
from crowdfund.money import Money, currency_label

IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "gif"]


def _category_choices():
    return choices([("", _("Choose a category")), *CATEGORIES.items()])


def _currency_choices():
    return choices((c, currency_label(c)) for c in current_app.config["SUPPORTED_CURRENCIES"])


class _DurationMixin:
    def validate_duration_days(self, field):
        lo = current_app.config["CAMPAIGN_MIN_DAYS"]
        hi = current_app.config["CAMPAIGN_MAX_DAYS"]
        if field.data is not None and not lo <= field.data <= hi:
            raise ValidationError(_("A campaign runs for %(low)s to %(high)s days.",
                                    low=lo, high=hi))


def _value_of(choice):
    """A funding model as the form holds it: its value (a campaign's column gives the
    enum)."""
    return choice.value if isinstance(choice, FundingModel) else choice


class _FundingModelMixin:
    """The funding model, chosen while the campaign can be edited (docs/domain.md)."""

    funding_model = RadioField(
        _l("Funding model"),
        choices=choices([(FundingModel.ALL_OR_NOTHING.value, _l(
            "All-or-nothing: backers are charged only if the goal is reached by the deadline")),
            (FundingModel.FLEXIBLE.value, _l(
                "Flexible funding: backers are charged at the deadline whatever the total; "
                "the founder keeps what is raised"))]),
        default=FundingModel.ALL_OR_NOTHING.value, coerce=_value_of, validators=[Optional()])

    def describe_funding_model(self) -> None:
        """Its hint: equity is never flexible, nor a category where operators turned it
        off."""
        off = sorted(category_label(slug) for slug in disabled_categories())
        self.funding_model.description = _(
            "Equity offerings are always all-or-nothing. Flexible funding is turned off for: "
            "%(categories)s.", categories=word_list(off)) if off else _(
            "Equity offerings are always all-or-nothing.")

    @property
    def chosen_funding_model(self) -> FundingModel | None:
        return FundingModel(self.funding_model.data) if self.funding_model.data else None


class NewCampaignForm(_DurationMixin, _FundingModelMixin, BaseForm):
    """The few facts needed to start a draft."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    kind = RadioField(
        _l("Kind of campaign"),
        choices=choices([(CampaignKind.REWARD.value,
                          _l("Rewards: backers get products or perks")),
                         (CampaignKind.EQUITY.value, _l("Equity: investors get securities"))]),
        default=CampaignKind.REWARD.value,
        validators=[InputRequired()],
    )
    category = SelectField(_l("Category"),
                           validators=[DataRequired(message=_l("Choose a category."))])
    currency = SelectField(_l("Currency"), default="USD", validators=[DataRequired()])
    goal = AmountField(_l("Funding goal"),
                       validators=[InputRequired(message=_l("Enter a goal."))])
    duration_days = IntegerField(
        _l("Length (days)"), default=30,
        validators=[InputRequired(message=_l("Enter a number of days."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = _category_choices()
        self.currency.choices = _currency_choices()
        self.describe_funding_model()


class CampaignStoryForm(BaseForm):
    """What a founder can change while the campaign is live."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    blurb = TextAreaField(_l("Short blurb"), validators=[Optional(), Length(max=160)],
                          description=_l("One or two sentences, shown on campaign cards."))
    category = SelectField(_l("Category"),
                           validators=[DataRequired(message=_l("Choose a category."))])
    cover = FileField(
        _l("Cover image"),
        validators=[FileAllowed(IMAGE_TYPES, _l("Use a JPEG, PNG, WebP or GIF image."))],
        description=_l("JPEG, PNG, WebP or GIF, up to 8 MB, at least 640 x 360 pixels, "
                       "landscape; shown at 16:9."),
    )
    #: A cover chosen in an attempt that failed on another field (``uploads.pending_token``).
    kept_cover = HiddenField()
    description_md = TextAreaField(_l("Story"), validators=[Optional(), Length(max=50_000)],
                                   description=_l("Markdown: **bold**, _italic_, lists, links."))
    risks_md = TextAreaField(_l("Risks and challenges"),
                             validators=[Optional(), Length(max=10_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = _category_choices()


class CampaignDraftForm(_DurationMixin, _FundingModelMixin, CampaignStoryForm):
    """Everything, before launch: also the goal, currency, length and address."""

    slug = StringField(_l("Web address"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Letters, digits and hyphens: /campaigns/your-address"))
    currency = SelectField(_l("Currency"), validators=[DataRequired()])
    goal = AmountField(_l("Funding goal"),
                       validators=[InputRequired(message=_l("Enter a goal."))])
    duration_days = IntegerField(_l("Length (days)"),
                                 validators=[InputRequired(message=_l("Enter a number of days."))])
    #: Typed on the founder's clock (their time zone), stored in UTC.
    scheduled_launch_at = LocalDateTimeField(_l("Scheduled launch (optional)"),
                                             validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = _currency_choices()
        self.describe_funding_model()
        self.scheduled_launch_at.description = _(
            "In your time zone, %(zone)s. Once approved, the campaign goes live at this time "
            "by itself.", zone=reader_zone_name().replace("_", " "))


#: Destinations one reward can list (every country is covered by "Rest of world").
MAX_SHIPPING_ROWS = 100


class ShippingRateForm(Form):
    destination = SelectField(_l("Destination"), validators=[Optional()])
    fee = AmountField(_l("Fee"), allow_zero=True, validators=[Optional()])


class ShippingRowsForm(BaseForm):
    """A form with the shipping table of a tier or an add-on: ``ships``, then one row per
    destination (empty rows to fill in, more without scripts by ``add_rows``)."""

    shipping = FieldList(FormField(ShippingRateForm), min_entries=1,
                         max_entries=MAX_SHIPPING_ROWS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._destinations = choices([("", "—"), (REST_OF_WORLD, _("Rest of world")),
                                      *country_choices(reader_locale())])
        for entry in self.shipping.entries:
            entry.form.destination.choices = self._destinations

    def add_rows(self, count: int = 1) -> None:
        """Empty shipping rows to fill in (up to the most a reward can have)."""
        for _row in range(count):
            if len(self.shipping.entries) >= MAX_SHIPPING_ROWS:
                return
            self.shipping.append_entry().form.destination.choices = self._destinations

    def fill_rows(self, ships: bool, rates, currency: str) -> None:
        """The stored shipping (``rates``: destination and fee in minor units) as rows."""
        self.ships.data = "yes" if ships else "no"
        self.add_rows(len(rates) - len(self.shipping.entries))
        for entry, rate in zip(self.shipping.entries, rates, strict=False):
            entry.form.destination.data = rate.destination
            entry.form.fee.data = Money(rate.fee_minor, currency).to_decimal()

    def leave_blank_rows(self, wanted: int = 1) -> None:
        """At least ``wanted`` empty rows after the filled ones."""
        blank = 0
        for entry in reversed(self.shipping.entries):
            if entry.form.destination.data or entry.form.fee.data is not None:
                break
            blank += 1
        self.add_rows(max(0, wanted - blank))


class TierForm(ShippingRowsForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("What backers get"),
                                validators=[Optional(), Length(max=5000)])
    minimum = AmountField(_l("Minimum pledge"),
                          validators=[InputRequired(message=_l("Enter the minimum pledge."))])
    quantity_limit = IntegerField(
        _l("Limited quantity (optional)"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000,
                                            message=_l("Between 1 and 1,000,000 units."))],
    )
    estimated_delivery = MonthField(_l("Estimated delivery"), validators=[Optional()])
    ships = RadioField(_l("Shipping options"),
                       choices=choices([("no", _l("No shipping (digital or collected in person)")),
                                        ("yes", _l("Ships: a flat fee per destination"))]),
                       default="no", validators=[InputRequired()])


class BudgetLineForm(BaseForm):
    label = StringField(_l("What it pays for"),
                        validators=[DataRequired(), Length(max=120)])
    amount = AmountField(_l("Amount"), validators=[InputRequired(message=_l("Enter an amount."))])


class ReasonForm(BaseForm):
    """A state change that needs an explanation (reject, cancel, suspend)."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give a reason.")),
                                                     Length(min=5, max=4000)])


class ApproveForm(BaseForm):
    note = TextAreaField(_l("Note for the audit trail (optional)"),
                         validators=[Optional(), Length(max=2000)])


class StaffPickForm(BaseForm):
    picked = BooleanField(_l("Staff pick"))
