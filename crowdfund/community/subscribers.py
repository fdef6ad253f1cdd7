"""How the community features react to what happens (``crowdfund.events``)."""

from __future__ import annotations

from crowdfund import events
from crowdfund.community import following


def register() -> None:
    events.campaign_launched.connect(_tell_followers_of_launch, weak=False)


def _tell_followers_of_launch(campaign, **_) -> None:
    following.notify_launch(campaign)
