"""A campaign's add-ons as the founder edits them: while the rewards can be edited (a draft,
changes requested, or live), and once the campaign is live as tiers are: new ones can be
added, one that has backers (or units held) neither changes nor goes; a limit never goes
below the units claimed (docs/domain.md#add-ons)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.add_on_models import AddOn, AddOnShippingRate
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.rewards import OTHER_CURRENCY, check_shipping
from crowdfund.campaigns.services import CampaignLocked, require_editable
from crowdfund.campaigns.states import CampaignKind
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.money import Money


@dataclass
class AddOnInput:
    """An add-on as the founder typed it (money already in minor units)."""

    name: str
    description: str
    price: Money
    quantity_limit: int | None
    ships: bool
    shipping: list[tuple[str, Money]]
    #: True: offered with every tier; False: only with ``tier_ids``.
    all_tiers: bool
    tier_ids: list[int]


# Whether anyone backs an add-on: pledges know (``pledges.subscribers`` registers
# ``pledges.add_ons.add_on_has_backers``); campaigns only ask.
_ADD_ON_BACKED: list[Callable[[AddOn], bool]] = []


def add_on_backed_by(check: Callable[[AddOn], bool]) -> None:
    """Register ``check(add_on) -> bool``: does anyone back (or hold units of) ``add_on``?"""
    if check not in _ADD_ON_BACKED:
        _ADD_ON_BACKED.append(check)


def add_on_has_backers(add_on: AddOn) -> bool:
    if not _ADD_ON_BACKED:  # never "no backers" only because nobody was asked
        raise LookupError("Nothing tells whether an add-on has backers: is pledges registered?")
    return any(check(add_on) for check in _ADD_ON_BACKED)


def add_ons_of(campaign: Campaign) -> list[AddOn]:
    """The campaign's add-ons in the founder's order."""
    return list(db.session.scalars(sa.select(AddOn).where(AddOn.campaign_id == campaign.id)
                                   .order_by(AddOn.position, AddOn.id)))


def _require_editable(campaign: Campaign, actor: User) -> None:
    require_founder(campaign, actor)
    if campaign.kind is not CampaignKind.REWARD:
        raise DomainError(_("Only reward campaigns have add-ons."))
    if not (campaign.is_editable or campaign.is_live):
        require_editable(campaign)


def _check(campaign: Campaign, data: AddOnInput, claimed: int = 0) -> None:
    if data.price.currency != campaign.currency:
        raise DomainError(OTHER_CURRENCY, field="price")
    if data.price.amount <= 0:
        raise DomainError(_("The price must be more than zero."), field="price")
    max_pledge = Money.from_decimal(str(current_app.config["MAX_PLEDGE_MAJOR"]), campaign.currency)
    if data.price > max_pledge:
        raise DomainError(_("The price can be at most %(amount)s.", amount=max_pledge.format()),
                          field="price")
    if data.quantity_limit is not None:
        if data.quantity_limit < 1:
            raise DomainError(_("A limited add-on has at least 1 unit."), field="quantity_limit")
        if data.quantity_limit < claimed:
            raise DomainError(_("%(claimed)s units are already claimed: the limit cannot be "
                                "lower.", claimed=claimed), field="quantity_limit")
    if not data.all_tiers:
        if not data.tier_ids:
            raise DomainError(_("Choose at least one reward it can be added to."),
                              field="tier_ids")
        if not set(data.tier_ids) <= {t.id for t in campaign.tiers}:
            raise DomainError(_("Choose among this campaign's rewards."), field="tier_ids")
    check_shipping(data.ships, data.shipping)


def _apply(add_on: AddOn, campaign: Campaign, data: AddOnInput) -> None:
    add_on.name = data.name.strip()
    add_on.description = data.description
    add_on.price_minor = data.price.amount
    add_on.quantity_limit = data.quantity_limit
    add_on.ships = data.ships
    add_on.all_tiers = data.all_tiers
    add_on.tiers = ([] if data.all_tiers else
                    [t for t in campaign.tiers if t.id in set(data.tier_ids)])
    wanted = dict(data.shipping) if data.ships else {}
    for rate in list(add_on.shipping_rates):
        if rate.destination not in wanted:
            add_on.shipping_rates.remove(rate)
    existing = {r.destination: r for r in add_on.shipping_rates}
    for destination, fee in wanted.items():
        if destination in existing:
            existing[destination].fee_minor = fee.amount
        else:
            add_on.shipping_rates.append(AddOnShippingRate(destination=destination,
                                                           fee_minor=fee.amount))


def add_add_on(campaign: Campaign, actor: User, data: AddOnInput) -> AddOn:
    """New add-ons can be added to drafts and to live campaigns."""
    _require_editable(campaign, actor)
    _check(campaign, data)
    add_on = AddOn(campaign=campaign, position=len(add_ons_of(campaign)), shipping_rates=[],
                   tiers=[])
    _apply(add_on, campaign, data)
    db.session.add(add_on)
    return add_on


def update_add_on(add_on: AddOn, actor: User, data: AddOnInput) -> None:
    """An add-on with backers is read-only once the campaign is live (as a tier is)."""
    campaign = add_on.campaign
    _require_editable(campaign, actor)
    if campaign.is_locked and add_on_has_backers(add_on):
        raise CampaignLocked(_("This add-on has backers, so it can no longer change."))
    _check(campaign, data, add_on.claimed)
    _apply(add_on, campaign, data)


def delete_add_on(add_on: AddOn, actor: User) -> None:
    _require_editable(add_on.campaign, actor)
    if add_on_has_backers(add_on):
        raise CampaignLocked(_("This add-on has backers, so it cannot be removed."))
    db.session.delete(add_on)
