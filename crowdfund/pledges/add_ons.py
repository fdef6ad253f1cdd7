"""A pledge's add-ons: their units claimed without overselling (``units.claim_add_on_units``,
a conditional UPDATE, in the add-ons' id order so that two pledges never wait on each
other), the lines written at the quoted price and shipping, moved when the pledge changes.
Units are given back with the pledge's reward unit (``units.release_add_ons_of``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.pledges.models import COUNTED_STATUSES, Pledge, PledgeAddOn, PledgeStatus
from crowdfund.pledges.quoting import AddOnLine
from crowdfund.pledges.units import claim_add_on_units, release_add_on_units


class AddOnSoldOut(DomainError):
    """Fewer units of a limited add-on are left than the backer asks for."""

    status_code = 409

    def __init__(self, add_on: AddOn) -> None:
        left = add_on.remaining or 0
        message = (_("“%(add_on)s” is sold out.", add_on=add_on.name) if not left else
                   _("Only %(left)s of “%(add_on)s” are left.", left=left, add_on=add_on.name))
        super().__init__(message, field=add_on.field_name)
        self.add_on_id = add_on.id


def offered(campaign: Campaign) -> list[AddOn]:
    """The campaign's add-ons, in the founder's order, with their shipping and tiers."""
    return list(db.session.scalars(
        sa.select(AddOn).where(AddOn.campaign_id == campaign.id)
        .order_by(AddOn.position, AddOn.id)
        .options(selectinload(AddOn.shipping_rates), selectinload(AddOn.tiers))))


def require_available(lines: Sequence[AddOnLine], now: datetime) -> None:
    """Refuse, before writing anything, an add-on with fewer units left as read than asked
    for, unless an abandoned attempt holds some (``services.require_available`` for
    tiers). The conditional UPDATE of ``claim`` stays the rule."""
    for line in lines:
        left = line.add_on.remaining
        if left is None or left >= line.quantity:
            continue
        if not db.session.scalar(sa.select(sa.exists().where(
                PledgeAddOn.add_on_id == line.add_on.id, PledgeAddOn.pledge_id == Pledge.id,
                Pledge.status == PledgeStatus.PENDING, Pledge.pending_expires_at < now))):
            raise AddOnSoldOut(line.add_on)


def claim(lines: Sequence[AddOnLine]) -> AddOnLine | None:
    """Claim every line's units, in order; the first line that could not be claimed (the
    ones before it stay claimed: the caller retries from it or rolls back), or None."""
    for line in lines:
        if not claim_add_on_units(line.add_on.id, line.quantity):
            return line
    return None


def write(pledge: Pledge, lines: Sequence[AddOnLine]) -> None:
    """The pledge's lines as quoted (its units already claimed)."""
    for line in lines:
        pledge.add_ons.append(PledgeAddOn(
            add_on=line.add_on, quantity=line.quantity,
            unit_price_minor=line.unit_price.amount, shipping_minor=line.shipping.amount))


def change(pledge: Pledge, lines: Sequence[AddOnLine]) -> None:
    """Move the pledge's add-ons to ``lines``: units claimed for what it takes more of,
    given back for what it takes less of, in the add-ons' id order; refused (the caller
    rolls back) when more units than are left are asked for."""
    had = {row.add_on_id: row for row in pledge.add_ons}
    wanted = {line.add_on.id: line for line in lines}
    for add_on_id in sorted(had.keys() | wanted.keys()):
        before = had[add_on_id].quantity if add_on_id in had else 0
        line = wanted.get(add_on_id)
        more = (line.quantity if line else 0) - before
        if more > 0 and not claim_add_on_units(add_on_id, more):
            raise AddOnSoldOut(line.add_on)
        if more < 0:
            release_add_on_units(add_on_id, -more)
        if line is None:
            pledge.add_ons.remove(had[add_on_id])
        elif add_on_id in had:
            row = had[add_on_id]
            row.quantity = line.quantity
            row.unit_price_minor = line.unit_price.amount
            row.shipping_minor = line.shipping.amount
    write(pledge, [line for add_on_id, line in sorted(wanted.items()) if add_on_id not in had])


def wanted_now(pledge: Pledge) -> dict[int, int]:
    """``{add-on id: quantity}`` the pledge holds (to fill in the change form)."""
    return {row.add_on_id: row.quantity for row in pledge.add_ons}


def add_on_has_backers(add_on: AddOn) -> bool:
    """Counted pledges hold it, or open ones hold units of it."""
    if add_on.claimed > 0:
        return True
    return bool(db.session.scalar(sa.select(sa.exists().where(
        PledgeAddOn.add_on_id == add_on.id, PledgeAddOn.pledge_id == Pledge.id,
        Pledge.status.in_(COUNTED_STATUSES)))))


def backed_add_ons(campaign: Campaign) -> set[int]:
    """Ids of the campaign's add-ons that have backers (``add_on_has_backers``)."""
    ids = set(db.session.scalars(
        sa.select(PledgeAddOn.add_on_id).join(Pledge, Pledge.id == PledgeAddOn.pledge_id)
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(COUNTED_STATUSES))
        .distinct()))
    ids.update(db.session.scalars(sa.select(AddOn.id).where(
        AddOn.campaign_id == campaign.id, AddOn.claimed > 0)))
    return ids
