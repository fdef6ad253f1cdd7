"""Who may act on a campaign: checks every feature's services share (a leaf: it imports
only the models)."""

from __future__ import annotations

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.errors import NotAllowed
from crowdfund.i18n import _l

NOT_YOURS = _l("This is not your campaign.")
OPERATORS_ONLY = _l("Only operators can do this.")


def require_founder(campaign: Campaign, user: User) -> None:
    if campaign.founder_id != user.id:
        raise NotAllowed(NOT_YOURS)


def require_operator(user: User) -> None:
    if not user.is_operator:
        raise NotAllowed(OPERATORS_ONLY)
