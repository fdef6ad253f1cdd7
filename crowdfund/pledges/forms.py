"""Pledge forms: reward, add-ons, amount and destination; confirming a card."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from wtforms import HiddenField, IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from crowdfund.campaigns.add_on_models import MAX_ADD_ON_QUANTITY, AddOn
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import tier_of
from crowdfund.forms import AmountField, BaseForm, CountryField, choices
from crowdfund.i18n import _, _l

NO_REWARD = "none"


class _TierChoices(Sequence):
    """The reward choices of a campaign, built when first read: when the form is shown.
    A posted form validates only the chosen tier (``PledgeForm.validate_tier``), so a
    pledge POST does not load every tier with its shipping rates."""

    def __init__(self, campaign: Campaign, late: bool = False) -> None:
        self.campaign = campaign
        self.late = late

    @cached_property
    def _items(self) -> list:
        if self.late:  # late pledges: a reward with units left, at its late price
            return choices([(str(t.id), _("%(reward)s — %(amount)s or more", reward=t.title,
                                          amount=t.late_price.format()))
                            for t in self.campaign.tiers if not t.sold_out])
        options = [(NO_REWARD, _("No reward: I just want to support it"))]
        # TRANSLATORS: a reward to choose: its title, then the least one pledges for it.
        options += [(str(t.id), _("%(reward)s — %(amount)s or more", reward=t.title,
                                  amount=t.minimum.format()))
                    for t in self.campaign.tiers]
        return choices(options)

    def __getitem__(self, index):
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)


class PledgeForm(BaseForm):
    """Pick a reward (or none), an amount (shipping is added), and where to ship."""

    tier = RadioField(_l("Reward"), validators=[InputRequired(message=_l("Choose a reward."))],
                      validate_choice=False)  # validate_tier: one tier, not the list
    amount = AmountField(
        _l("Pledge amount"),
        validators=[InputRequired(message=_l("Enter how much you pledge."))],
        description=_l("At least the reward's minimum; add more if you like. Shipping is "
                       "added."),
    )
    destination = CountryField(_l("Ship to"), validators=[Optional()])

    def __init__(self, campaign: Campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.tier.choices = _TierChoices(campaign)
        self._tier = None

    def validate_tier(self, field) -> None:
        if field.data == NO_REWARD:
            return
        tier = tier_of(self.campaign, field.data)
        if tier is None:
            raise ValidationError(_("Choose one of the rewards."))
        self._tier = tier

    def chosen_tier(self):
        """The selected tier (validated), or None for no reward."""
        return self._tier

    #: The campaign's add-ons, each with its quantity field (``pledge_form``).
    add_on_items: tuple[AddOn, ...] = ()
    max_add_on_quantity = MAX_ADD_ON_QUANTITY

    def quantity_of(self, add_on: AddOn):
        """The quantity field of ``add_on``."""
        return self[add_on.field_name]

    def chosen_add_ons(self) -> list[tuple[AddOn, int]]:
        """``(add-on, quantity)`` for each add-on taken (validated quantities)."""
        return [(a, self[a.field_name].data) for a in self.add_on_items
                if self[a.field_name].data]


def pledge_form(campaign: Campaign, add_ons: list[AddOn], *args, **kwargs) -> PledgeForm:
    """The pledge form, with a quantity field for each of ``add_ons`` (an empty one is 0)."""
    if not add_ons:
        return PledgeForm(campaign, *args, **kwargs)
    quantities = {
        a.field_name: IntegerField(
            a.name, default=0,
            validators=[Optional(), NumberRange(
                min=0, max=MAX_ADD_ON_QUANTITY,
                message=_l("Choose a quantity from %(min)s to %(max)s."))])
        for a in add_ons}
    form = type("PledgeWithAddOnsForm", (PledgeForm,), quantities)(campaign, *args, **kwargs)
    form.add_on_items = tuple(add_ons)
    return form


class SavedCardForm(BaseForm):
    """A saved card chosen on the card page: checked against the backer's cards at the
    gateway by the service, not against the choices shown."""

    payment_method = RadioField(validators=[InputRequired()], validate_choice=False)


def late_pledge_form(campaign: Campaign, add_ons: list[AddOn], *args, **kwargs) -> PledgeForm:
    """The pledge form of a late pledge: the rewards with units left at their late prices."""
    form = pledge_form(campaign, add_ons, *args, **kwargs)
    form.tier.choices = _TierChoices(campaign, late=True)
    form.amount.description = _l("At least the reward's late price; add more if you like. "
                                 "Shipping is added.")
    return form


class ConfirmCardForm(BaseForm):
    """Posted by the card page after Stripe.js confirmed the SetupIntent."""

    setup_intent = HiddenField()

