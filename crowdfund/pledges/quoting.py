"""What a backer will be charged: the amount they typed split into the reward, the add-ons
and shipping, checked against the reward's minimum, the add-ons' rules and the most a
pledge may be (docs/domain.md#rewards)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app

from crowdfund.campaigns.add_on_models import MAX_ADD_ON_QUANTITY, AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.errors import DomainError
from crowdfund.i18n import _
from crowdfund.money import Money


@dataclass(frozen=True)
class AddOnLine:
    """Units of one add-on in a quote, at its price and shipping now."""

    add_on: AddOn
    quantity: int
    unit_price: Money
    #: The destination's fee for one unit (zero when it does not ship).
    unit_shipping: Money

    @property
    def price(self) -> Money:
        return Money(self.unit_price.amount * self.quantity, self.unit_price.currency)

    @property
    def shipping(self) -> Money:
        return Money(self.unit_shipping.amount * self.quantity, self.unit_shipping.currency)


@dataclass(frozen=True)
class Quote:
    """What a backer will be charged if the campaign succeeds."""

    reward: Money
    #: The reward's shipping and the add-ons' together.
    shipping: Money
    add_ons: tuple[AddOnLine, ...] = ()
    #: Something in it ships: the pledge keeps its destination.
    ships: bool = False

    @property
    def add_ons_price(self) -> Money:
        return sum((line.price for line in self.add_ons), Money.zero(self.reward.currency))

    @property
    def total(self) -> Money:
        return self.reward + self.add_ons_price + self.shipping


def quote(campaign: Campaign, tier: RewardTier | None, amount: Money, destination: str | None,
          add_ons: Iterable[tuple[AddOn, int]] = (), *, late: bool = False) -> Quote:
    """Split the amount a backer typed (add-ons and shipping included) and check it against
    the tier and the add-ons chosen (``(add-on, quantity)``; a quantity of 0 is none).
    ``late``: a late pledge, whose reward costs at least its late price."""
    if tier is not None and tier.campaign_id != campaign.id:
        raise DomainError(_("That reward belongs to another campaign."), field="tier")
    if amount.currency != campaign.currency:
        raise DomainError(_("Pledge in %(currency)s.", currency=campaign.currency),
                          field="amount")
    shipping = Money.zero(campaign.currency)
    if tier is not None and tier.ships:
        if not destination:
            raise DomainError(_("Choose where to ship your reward."), field="destination")
        fee = tier.shipping_fee(destination)
        if fee is None:
            raise DomainError(_("This reward does not ship there."), field="destination")
        shipping = fee
    lines = price_add_ons(campaign, tier, add_ons, destination)
    shipping = sum((line.shipping for line in lines), shipping)
    minimum = ((tier.late_price if late else tier.minimum) if tier is not None
               else Money.from_decimal("1", campaign.currency))
    extras = sum((line.price for line in lines), Money.zero(campaign.currency))
    if amount < minimum + extras + shipping:
        raise DomainError(_too_little(minimum, extras, shipping, tier is not None),
                          field="amount")
    limit = Money.from_decimal(str(current_app.config["MAX_PLEDGE_MAJOR"]), campaign.currency)
    if amount > limit:
        raise DomainError(_("A pledge can be at most %(amount)s.", amount=limit.format()),
                          field="amount")
    ships = (tier is not None and tier.ships) or any(line.add_on.ships for line in lines)
    return Quote(amount - extras - shipping, shipping, lines, ships)


def price_add_ons(campaign: Campaign, tier: RewardTier | None,
                  wanted: Iterable[tuple[AddOn, int]], destination: str | None,
                  ) -> tuple[AddOnLine, ...]:
    """The add-ons chosen, priced, in their id order; each refusal names the add-on's
    quantity field."""
    lines = []
    for add_on, quantity in sorted(wanted, key=lambda pair: pair[0].id):
        if not quantity:
            continue
        field = add_on.field_name
        if add_on.campaign_id != campaign.id:
            raise DomainError(_("That add-on belongs to another campaign."), field=field)
        if not 0 < quantity <= MAX_ADD_ON_QUANTITY:
            raise DomainError(_("Choose a quantity from %(min)s to %(max)s.", min=0,
                                max=MAX_ADD_ON_QUANTITY), field=field)
        if tier is None:
            raise DomainError(_("Add-ons come with a reward: choose one first."), field=field)
        if not add_on.available_with(tier):
            raise DomainError(_("“%(add_on)s” cannot be added to “%(reward)s”.",
                                add_on=add_on.name, reward=tier.title), field=field)
        unit_shipping = Money.zero(campaign.currency)
        if add_on.ships:
            if not destination:
                raise DomainError(_("Choose where to ship your reward."), field="destination")
            fee = add_on.shipping_fee(destination)
            if fee is None:
                raise DomainError(_("“%(add_on)s” does not ship there.", add_on=add_on.name),
                                  field=field)
            unit_shipping = fee
        lines.append(AddOnLine(add_on, quantity, add_on.price, unit_shipping))
    if len({line.add_on.id for line in lines}) != len(lines):
        raise DomainError(_("Each add-on is chosen once, with its quantity."),
                          field=lines[0].add_on.field_name)
    return tuple(lines)


def _too_little(minimum: Money, extras: Money, shipping: Money, for_reward: bool) -> str:
    """The refusal of an amount below the reward's minimum plus add-ons and shipping."""
    total = (minimum + extras + shipping).format()
    if extras.amount and shipping.amount:
        return _("Pledge at least %(total)s (%(minimum)s for the reward, %(add_ons)s for "
                 "add-ons and %(shipping)s shipping).", total=total, minimum=minimum.format(),
                 add_ons=extras.format(), shipping=shipping.format())
    if extras.amount:
        return _("Pledge at least %(total)s (%(minimum)s for the reward plus %(add_ons)s "
                 "for add-ons).", total=total, minimum=minimum.format(),
                 add_ons=extras.format())
    if shipping.amount:
        return _("Pledge at least %(total)s (%(minimum)s for the reward plus %(shipping)s "
                 "shipping).", total=total, minimum=minimum.format(),
                 shipping=shipping.format())
    if for_reward:
        return _("Pledge at least %(total)s for this reward.", total=total)
    return _("Pledge at least %(total)s.", total=total)
