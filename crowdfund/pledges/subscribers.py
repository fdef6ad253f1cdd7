"""How pledges react to what happens elsewhere (``crowdfund.events``), and the gateway's
webhook events they handle."""

from __future__ import annotations

from crowdfund import events
from crowdfund.campaigns.add_ons import add_on_backed_by
from crowdfund.campaigns.rewards import tier_backed_by
from crowdfund.payments.events import handles
from crowdfund.pledges import privacy as pledges_privacy
from crowdfund.pledges import webhooks
from crowdfund.pledges.add_ons import add_on_has_backers
from crowdfund.pledges.services import release_open_pledges
from crowdfund.pledges.totals import tier_has_backers


def register() -> None:
    pledges_privacy.register()
    events.campaign_stopped.connect(_release_open_pledges, weak=False)
    handles("setup_intent.succeeded")(webhooks.setup_intent_succeeded)
    tier_backed_by(tier_has_backers)
    add_on_backed_by(add_on_has_backers)


def _release_open_pledges(campaign, *, actor, reason: str) -> int:
    """A campaign stopped before its deadline releases every open pledge; nothing is
    charged."""
    return release_open_pledges(campaign, actor=actor, reason=reason)
