"""Closing an offering: allocation at the deadline and issuing securities at settlement.

Called by the settlement services: ``allocate_at_deadline`` from ``close_at_deadline``
(funded offerings only, before the totals are frozen) and ``issue_securities`` when the
collection window closes. Services never commit.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign
from crowdfund.db import utcnow
from crowdfund.equity.allocation import Ask, allocate
from crowdfund.equity.models import AllocationPolicy, Holding
from crowdfund.equity.services import offering_of
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.notifications import investor_emails as emails
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.states import pledge_states

P = PledgeStatus
#: How commitments were cut, in the investor's email ("... so they were allocated first come,
#: first served."): lazy, so each email says it in its reader's language.
POLICY_WORDS = {
    # TRANSLATORS: completes "... received more commitments than its maximum of $X, so they
    # were allocated ...".
    AllocationPolicy.FIRST_COME: _l("first come, first served"),
    AllocationPolicy.PRO_RATA: _l("pro rata"),
}
_AUDIT_WORDS = {AllocationPolicy.FIRST_COME: "first come, first served",
                AllocationPolicy.PRO_RATA: "pro rata"}


def allocate_at_deadline(campaign: Campaign) -> int:
    """Cut commitments above the maximum by the offering's policy. Returns how many were
    cut or released."""
    offering = offering_of(campaign)
    if offering is None:
        return 0
    pledges = db.session.scalars(sa.select(Pledge).where(
        Pledge.campaign_id == campaign.id, Pledge.status == P.ACTIVE)
        .order_by(Pledge.created_at, Pledge.id)).all()
    unit = offering.price_per_share_minor or 1
    asks = [Ask(p.id, (p.created_at, p.id), p.amount_minor // unit) for p in pledges]
    got = allocate(asks, offering.maximum_minor // unit, offering.allocation.value)
    policy = POLICY_WORDS[offering.allocation]
    changed = 0
    for pledge in pledges:
        units = got[pledge.id]
        allocated = units * unit
        if allocated == pledge.amount_minor:
            continue
        changed += 1
        pledge.committed_minor = pledge.amount_minor
        if units == 0:
            pledge_states.apply(pledge, P.RELEASED, reason=(  # the audit trail: in English
                f"Offering oversubscribed: nothing left under the maximum "
                f"({_AUDIT_WORDS[offering.allocation]})"))
        else:
            pledge.amount_minor = allocated
            if offering.price_per_share_minor:
                pledge.shares = units
        emails.allocation_cut(pledge, offering.maximum, policy)
    return changed


def issue_securities(campaign: Campaign, today: date | None = None) -> int:
    """One holding per collected commitment (never twice). Returns how many were issued."""
    offering = offering_of(campaign)
    if offering is None:
        return 0
    today = today or utcnow().date()
    done = set(db.session.scalars(sa.select(Holding.pledge_id).where(
        Holding.offering_id == offering.id)))
    issued = 0
    for pledge in db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign.id, Pledge.status == P.COLLECTED)
            .order_by(Pledge.id)):
        if pledge.id in done:
            continue
        db.session.add(Holding(
            offering_id=offering.id, holder_id=pledge.backer_id, pledge_id=pledge.id,
            security=offering.security, shares=pledge.shares,
            price_per_share_minor=offering.price_per_share_minor,
            principal_minor=pledge.amount_minor, currency=pledge.currency, issued_on=today))
        issued += 1
    return issued


def cap_table(campaign: Campaign) -> list[Holding]:
    offering = offering_of(campaign)
    if offering is None:
        return []
    return list(db.session.scalars(sa.select(Holding).where(
        Holding.offering_id == offering.id).order_by(Holding.id)))
