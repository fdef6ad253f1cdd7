"""How the community features react to what happens (``crowdfund.events``)."""

from __future__ import annotations

from crowdfund import events
from crowdfund.community import following


def register() -> None:
    events.campaign_launched.connect(_tell_followers_of_launch, weak=False)
    events.campaign_closed_out.connect(_tell_followers_of_outcome, weak=False)


def _tell_followers_of_launch(campaign, **_) -> None:
    following.notify_launch(campaign)


def _tell_followers_of_outcome(campaign, *, funded: bool) -> None:
    following.notify_outcome(campaign, funded)
