"""Pledge forms: reward, amount and destination; confirming a card."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional

from crowdfund.campaigns.models import Campaign
from crowdfund.forms import AmountField, BaseForm, choices, country_select_choices

NO_REWARD = "none"


class PledgeForm(BaseForm):
    """Pick a reward (or none), an amount (shipping is added), and where to ship."""

    tier = RadioField("Reward", validators=[InputRequired(message="Choose a reward.")])
    amount = AmountField(
        "Pledge amount", validators=[InputRequired(message="Enter how much you pledge.")],
        description="At least the reward's minimum; add more if you like. Shipping is added.",
    )
    destination = SelectField("Ship to", validators=[Optional()])

    def __init__(self, campaign: Campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        options = [(NO_REWARD, "No reward: I just want to support it")]
        options += [(str(t.id), f"{t.title} — {t.minimum.format()} or more") for t in
                    campaign.tiers]
        self.tier.choices = choices(options)
        self.destination.choices = country_select_choices()

    def chosen_tier(self):
        """The selected tier object, or None for no reward."""
        if self.tier.data in (None, "", NO_REWARD):
            return None
        return next(t for t in self.campaign.tiers if str(t.id) == self.tier.data)


class ConfirmCardForm(BaseForm):
    """Posted by the card page after Stripe.js confirmed the SetupIntent."""

    setup_intent = HiddenField()

