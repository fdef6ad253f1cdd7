"""The studio's add-on form: name, description, price, limit, shipping per destination (the
tiers' table) and the tiers it can join."""

from __future__ import annotations

from wtforms import IntegerField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crowdfund.campaigns.forms import ShippingRowsForm
from crowdfund.campaigns.models import Campaign
from crowdfund.forms import AmountField, choices
from crowdfund.i18n import _l

ALL_TIERS, CHOSEN_TIERS = "all", "chosen"


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (no script, every choice visible)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AddOnForm(ShippingRowsForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    price = AmountField(_l("Price"), validators=[InputRequired(message=_l("Enter the price."))])
    quantity_limit = IntegerField(
        _l("Limited quantity (optional)"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000,
                                            message=_l("Between 1 and 1,000,000 units."))],
    )
    ships = RadioField(_l("Shipping options"),
                       choices=choices([("no", _l("No shipping (digital or collected in person)")),
                                        ("yes", _l("Ships: a flat fee per unit and "
                                                   "destination"))]),
                       default="no", validators=[InputRequired()])
    offered_with = RadioField(_l("Offered with"),
                              choices=choices([(ALL_TIERS, _l("Every reward")),
                                               (CHOSEN_TIERS, _l("Only the rewards chosen "
                                                                 "below"))]),
                              default=ALL_TIERS, validators=[InputRequired()])
    tier_ids = CheckboxesField(_l("Rewards it can be added to"), coerce=int,
                               validators=[Optional()])

    def __init__(self, campaign: Campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_ids.choices = [(t.id, t.title) for t in campaign.tiers]
