"""How the pledge manager reacts to what happens (``crowdfund.events``): a collected
charge opens the backer's survey; the founder's "shipping" locks the tier's surveys and
"delivered" schedules their erasure; a full refund erases the survey at the next job."""

from __future__ import annotations

from crowdfund import events
from crowdfund.community.models import DeliveryStatus
from crowdfund.db import utcnow
from crowdfund.fulfilment import erasing, tiers
from crowdfund.fulfilment import privacy as fulfilment_privacy
from crowdfund.fulfilment.routes import pledge_page_part
from crowdfund.fulfilment.surveys import open_survey
from crowdfund.pledges.models import PledgeStatus
from crowdfund.pledges.terms import page_parts_from


def register() -> None:
    fulfilment_privacy.register()
    page_parts_from(pledge_page_part)
    for event, receiver in (
        (events.charge_collected, _open_survey),
        (events.delivery_reported, _delivery_reported),
        (events.refund_issued, _refunded),
    ):
        event.connect(receiver, weak=False)


def _open_survey(pledge, **_) -> None:
    open_survey(pledge)


def _delivery_reported(campaign, *, tier, report) -> None:
    when = report.created_at or utcnow()
    if report.status is DeliveryStatus.SHIPPING:
        tiers.mark_shipping(tier, when)
    elif report.status is DeliveryStatus.DELIVERED and tiers.mark_delivered(tier, when):
        erasing.schedule_after_delivery(tier.id, when)


def _refunded(pledge, **_) -> None:
    if pledge.status is PledgeStatus.REFUNDED:
        erasing.erase_soon(pledge.id)
