"""A campaign's rewards (tiers, their limits and shipping) and its budget (what the money is
for), as the founder edits them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app

from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.models import BudgetLine, Campaign, RewardTier, ShippingRate
from crowdfund.campaigns.services import CampaignLocked, require_editable
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.filters import country_name
from crowdfund.i18n import _, _l
from crowdfund.money import Money

S = CampaignStatus

OTHER_CURRENCY = _l("Use the campaign's currency.")


# --- reward tiers ----------------------------------------------------------------------


@dataclass
class TierInput:
    """A reward tier as the founder typed it (money already in minor units)."""

    title: str
    description: str
    minimum: Money
    quantity_limit: int | None
    estimated_delivery: date | None
    ships: bool
    shipping: list[tuple[str, Money]]


def _check_tier(campaign: Campaign, data: TierInput, today: date) -> None:
    if data.minimum.currency != campaign.currency:
        raise DomainError(OTHER_CURRENCY, field="minimum")
    if data.minimum.amount <= 0:
        raise DomainError(_("The minimum pledge must be more than zero."), field="minimum")
    max_pledge = Money.from_decimal(str(current_app.config["MAX_PLEDGE_MAJOR"]), campaign.currency)
    if data.minimum > max_pledge:
        raise DomainError(_("The minimum pledge can be at most %(amount)s.",
                            amount=max_pledge.format()), field="minimum")
    if data.quantity_limit is not None and data.quantity_limit < 1:
        raise DomainError(_("A limited reward has at least 1 unit."), field="quantity_limit")
    if data.estimated_delivery is not None and data.estimated_delivery < today.replace(day=1):
        raise DomainError(_("The estimated delivery cannot be in the past."),
                          field="estimated_delivery")
    check_shipping(data.ships, data.shipping)


def check_shipping(ships: bool, shipping: list[tuple[str, Money]]) -> None:
    """The shipping table of a tier or an add-on: when it ships, at least one destination,
    each once, no fee below zero."""
    if not ships:
        return
    if not shipping:
        raise DomainError(_("Add at least one destination with its shipping fee."),
                          field="shipping")
    seen = set()
    for destination, fee in shipping:
        if destination in seen:
            raise DomainError(_("%(country)s is listed twice.",
                                country=country_name(destination)), field="shipping")
        seen.add(destination)
        if fee.amount < 0:
            raise DomainError(_("Shipping fees cannot be negative."), field="shipping")


def _apply_tier(tier: RewardTier, data: TierInput) -> None:
    tier.title = data.title.strip()
    tier.description = data.description
    tier.minimum_minor = data.minimum.amount
    tier.quantity_limit = data.quantity_limit
    tier.estimated_delivery = data.estimated_delivery
    tier.ships = data.ships
    wanted = dict(data.shipping) if data.ships else {}
    for rate in list(tier.shipping_rates):
        if rate.destination not in wanted:
            tier.shipping_rates.remove(rate)
    existing = {r.destination: r for r in tier.shipping_rates}
    for destination, fee in wanted.items():
        if destination in existing:
            existing[destination].fee_minor = fee.amount
        else:
            tier.shipping_rates.append(ShippingRate(destination=destination, fee_minor=fee.amount))


def _require_tiers_editable(campaign: Campaign) -> None:
    if not (campaign.is_editable or campaign.is_live):
        require_editable(campaign)


def add_tier(campaign: Campaign, actor: User, data: TierInput) -> RewardTier:
    """New tiers can be added to drafts and to live campaigns."""
    require_founder(campaign, actor)
    _require_tiers_editable(campaign)
    _check_tier(campaign, data, utcnow().date())
    tier = RewardTier(campaign=campaign, position=len(campaign.tiers))
    _apply_tier(tier, data)
    db.session.add(tier)
    return tier


# Whether anyone backs a reward: pledges know (``pledges.subscribers`` registers
# ``pledges.totals.tier_has_backers``); campaigns only ask.
_TIER_BACKED: list[Callable[[RewardTier], bool]] = []


def tier_backed_by(check: Callable[[RewardTier], bool]) -> None:
    """Register ``check(tier) -> bool``: does anyone back (or hold a unit of) ``tier``?"""
    if check not in _TIER_BACKED:
        _TIER_BACKED.append(check)


def tier_has_backers(tier: RewardTier) -> bool:
    if not _TIER_BACKED:  # never "no backers" only because nobody was asked
        raise LookupError("Nothing tells whether a reward has backers: is pledges registered?")
    return any(check(tier) for check in _TIER_BACKED)


def update_tier(tier: RewardTier, actor: User, data: TierInput) -> None:
    """A tier with backers is read-only once the campaign is live."""
    campaign = tier.campaign
    require_founder(campaign, actor)
    _require_tiers_editable(campaign)
    if campaign.is_locked and tier_has_backers(tier):
        raise CampaignLocked(_("This reward has backers, so it can no longer change."))
    _check_tier(campaign, data, utcnow().date())
    _apply_tier(tier, data)


def delete_tier(tier: RewardTier, actor: User) -> None:
    campaign = tier.campaign
    require_founder(campaign, actor)
    _require_tiers_editable(campaign)
    if tier_has_backers(tier):
        raise CampaignLocked(_("This reward has backers, so it cannot be removed."))
    campaign.tiers.remove(tier)


# --- budget ----------------------------------------------------------------------------


def _check_budget_line(campaign: Campaign, actor: User, amount: Money) -> None:
    require_founder(campaign, actor)
    if not campaign.can_edit_story:
        require_editable(campaign)
    if amount.currency != campaign.currency:
        raise DomainError(OTHER_CURRENCY, field="amount")
    if amount.amount <= 0:
        raise DomainError(_("An amount must be more than zero."), field="amount")
    if amount > campaign.goal:
        raise DomainError(_("One line cannot be more than the whole goal."), field="amount")


def add_budget_line(campaign: Campaign, actor: User, label: str, amount: Money) -> BudgetLine:
    _check_budget_line(campaign, actor, amount)
    line = BudgetLine(campaign=campaign, label=label.strip(), amount_minor=amount.amount,
                      position=len(campaign.budget_lines))
    db.session.add(line)
    return line


def update_budget_line(line: BudgetLine, actor: User, label: str, amount: Money) -> None:
    """Rename a line or change its amount (while the story can change)."""
    _check_budget_line(line.campaign, actor, amount)
    line.label = label.strip()
    line.amount_minor = amount.amount


def budget_overrun(campaign: Campaign) -> Money | None:
    """How far the budget lines together go over the goal (saved, but review refuses such a
    budget: ``services.readiness``), or None."""
    over = campaign.budget_total - campaign.goal
    return over if over.amount > 0 else None


def delete_budget_line(line: BudgetLine, actor: User) -> None:
    campaign = line.campaign
    require_founder(campaign, actor)
    if not campaign.can_edit_story:
        require_editable(campaign)
    campaign.budget_lines.remove(line)
