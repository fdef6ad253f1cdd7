"""How pledges react to what happens elsewhere (``crowdfund.events``)."""

from __future__ import annotations

from crowdfund import events
from crowdfund.pledges.services import release_open_pledges


def register() -> None:
    events.campaign_stopped.connect(_release_open_pledges, weak=False)


def _release_open_pledges(campaign, *, actor, reason: str) -> int:
    """A campaign stopped before its deadline releases every open pledge; nothing is
    charged."""
    return release_open_pledges(campaign, actor=actor, reason=reason)
