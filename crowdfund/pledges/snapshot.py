"""What a pledge (an investment) stood for before a change: its terms as the backer chose
them, kept as plain values so that the change's confirmation (``events.pledge_changed``,
``pledge_card_replaced``, ``investment_reconfirmed``) can say what it was and what it is
now, in the recipient's language, after the pledge itself was changed."""

from __future__ import annotations

from dataclasses import dataclass

from crowdfund.money import Money
from crowdfund.pledges.models import Pledge


@dataclass(frozen=True)
class PledgeTerms:
    """A pledge's terms at one moment: amount, reward, add-ons, destination, shares, card."""

    amount: Money
    shipping: Money
    tier_title: str | None
    #: (quantity, the add-on's name, the line's price), in the pledge's order
    add_ons: tuple[tuple[int, str, Money], ...]
    destination: str | None
    shares: int | None
    #: the saved card's brand and last 4 digits (None, None: no card saved)
    card: tuple[str | None, str | None]


def terms_of(pledge: Pledge) -> PledgeTerms:
    """``pledge``'s terms as they are now."""
    return PledgeTerms(
        amount=pledge.amount, shipping=pledge.shipping,
        tier_title=pledge.tier.title if pledge.tier is not None else None,
        add_ons=tuple((line.quantity, line.add_on.name, line.price) for line in pledge.add_ons),
        destination=pledge.destination, shares=pledge.shares,
        card=(pledge.card_brand_name, pledge.card_last4))
