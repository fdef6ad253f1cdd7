"""Pledge forms: reward, amount and destination; confirming a card."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired, Optional, ValidationError

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import tier_of
from crowdfund.forms import AmountField, BaseForm, CountryField, choices
from crowdfund.i18n import _, _l

NO_REWARD = "none"


class _TierChoices(Sequence):
    """The reward choices of a campaign, built when first read: when the form is shown.
    A posted form validates only the chosen tier (``PledgeForm.validate_tier``), so a
    pledge POST does not load every tier with its shipping rates."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign

    @cached_property
    def _items(self) -> list:
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


class ConfirmCardForm(BaseForm):
    """Posted by the card page after Stripe.js confirmed the SetupIntent."""

    setup_intent = HiddenField()

