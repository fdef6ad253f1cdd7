"""The founder's choice of late pledges (docs/money.md#late-pledges): whether a funded
reward campaign takes pledges after its deadline, for how many days, and at which price per
reward. Set in the studio while the campaign is being prepared, live, or funded and not yet
settled; changing it never changes what a late pledge already paid (its amount is its own).
The form sits here beside the service; services never commit.
"""

from __future__ import annotations

from wtforms import IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange, Optional

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.errors import DomainError
from crowdfund.forms import AmountField, BaseForm, choices
from crowdfund.i18n import _, _l
from crowdfund.money import Money

S = CampaignStatus
#: The founder chooses 1 to 60 days after the deadline.
MIN_LATE_DAYS, MAX_LATE_DAYS = 1, 60
#: Until the campaign is settled (its one payout scheduled): later, late money would miss it.
SETTABLE = (S.DRAFT, S.SUBMITTED, S.REJECTED, S.APPROVED, S.LIVE, S.FUNDED, S.COLLECTING)


def price_field(tier_id: int) -> str:
    return f"late_price_{tier_id}"


def set_late_pledges(campaign: Campaign, days: int | None,
                     prices: dict[int, Money | None]) -> None:
    """Turn late pledges on for ``days`` days after the deadline (None: off), with the late
    price of each reward (``{tier id: price}``, None: the reward's minimum)."""
    if campaign.kind is CampaignKind.EQUITY:
        raise DomainError(_("An equity offering takes no late pledges."))
    if campaign.status not in SETTABLE:
        raise DomainError(_("Late pledges can no longer be changed: the campaign is %(status)s.",
                            status=campaign.status_label))
    if days is not None and not MIN_LATE_DAYS <= days <= MAX_LATE_DAYS:
        raise DomainError(_("Choose from %(min)s to %(max)s days.", min=MIN_LATE_DAYS,
                            max=MAX_LATE_DAYS), field="days")
    for tier in campaign.tiers:
        price = prices.get(tier.id)
        if price is not None and (price.currency != campaign.currency or price.amount <= 0):
            raise DomainError(_("Enter a price in %(currency)s above zero.",
                                currency=campaign.currency), field=price_field(tier.id))
    campaign.late_pledge_days = days
    for tier in campaign.tiers:
        price = prices.get(tier.id)
        tier.late_price_minor = price.amount if price is not None else None


class LateSettingsForm(BaseForm):
    """Accept late pledges, for how long; a late price per reward (``late_settings_form``)."""

    accept = RadioField(_l("Accept late pledges after a successful deadline"),
                        choices=choices([("no", _l("No")), ("yes", _l("Yes"))]),
                        default="no", validators=[InputRequired()])
    days = IntegerField(_l("For how many days after the deadline"), validators=[
        Optional(), NumberRange(min=MIN_LATE_DAYS, max=MAX_LATE_DAYS,
                                message=_l("Choose from %(min)s to %(max)s days."))])

    def price_of(self, tier):
        return self[price_field(tier.id)]


def late_settings_form(campaign: Campaign, *args, **kwargs) -> LateSettingsForm:
    """The form with a late price field for each reward of ``campaign`` (empty: its
    minimum)."""
    fields = {price_field(t.id): AmountField(t.title, validators=[Optional()])
              for t in campaign.tiers}
    return type("LateSettingsWithPricesForm", (LateSettingsForm,), fields)(*args, **kwargs)


def form_input(form: LateSettingsForm, campaign: Campaign):
    """(days or None, prices) from a valid form; None after a field error."""
    days = None
    if form.accept.data == "yes":
        if form.days.data is None:
            form.days.errors = [*form.days.errors, _("Enter a number of days.")]
            return None
        days = form.days.data
    prices: dict[int, Money | None] = {}
    for tier in campaign.tiers:
        field = form.price_of(tier)
        if field.data is None:
            prices[tier.id] = None
            continue
        price = field.money_in(campaign.currency)
        if price is None:
            return None
        prices[tier.id] = price
    return days, prices
