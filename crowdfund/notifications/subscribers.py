"""The emails that tell people what happened (``crowdfund.events``): queued in the outbox
in the transaction of the change itself."""

from __future__ import annotations

from crowdfund import events
from crowdfund.notifications import emails


def register() -> None:
    events.campaign_launched.connect(_campaign_launched, weak=False)
    events.pledge_activated.connect(_pledge_activated, weak=False)


def _campaign_launched(campaign, **_) -> None:
    emails.campaign_launched(campaign)


def _pledge_activated(pledge, **_) -> None:
    emails.pledge_confirmed(pledge)
