"""Saved cards: whether a card will still work when it is charged."""

from __future__ import annotations

from datetime import UTC, datetime

from crowdfund.i18n import _
from crowdfund.pledges.models import Pledge


def card_valid_until(exp_month: int | None, exp_year: int | None) -> datetime | None:
    """The first moment a card no longer works: the start of the month after its expiry."""
    if not exp_month or not exp_year:
        return None
    year, month = (exp_year + 1, 1) if exp_month == 12 else (exp_year, exp_month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def expiry_problem(pledge: Pledge, exp_month: int | None, exp_year: int | None,
                   now: datetime) -> str | None:
    """Why this card cannot be saved for ``pledge``, if it cannot. A card is charged at the
    deadline (or at once, on the fix page): one that will have expired by then is refused
    when it is saved, not discovered when the charge fails."""
    until = card_valid_until(exp_month, exp_year)
    charged_at = now if pledge.needs_payment else max(now, pledge.campaign.deadline or now)
    if until is None or until > charged_at:
        return None
    expiry = f"{exp_month:02d}/{exp_year}"
    if pledge.needs_payment or until <= now:
        return _("This card expires %(expiry)s, so it cannot be charged now. Please use "
                 "another card.", expiry=expiry)
    return _("This card expires %(expiry)s, so it cannot be charged at the deadline. Please "
             "use another card.", expiry=expiry)
