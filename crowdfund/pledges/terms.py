"""What a pledge's pages show beyond amount and card, per kind of campaign: a reward
pledge shows its reward; an investment its security, shares, price and until when it can
be cancelled (registered by equity, which knows its offerings)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app

from crowdfund.campaigns.states import CampaignKind
from crowdfund.pledges.models import Pledge


def investor_cancel_until(deadline: datetime) -> datetime:
    """Until when an investment can be cancelled for any reason: 48 hours before the
    deadline (``INVESTOR_CANCEL_CUTOFF``)."""
    return deadline - current_app.config["INVESTOR_CANCEL_CUTOFF"]


_TERMS: dict[CampaignKind, Callable[[Pledge], list[tuple[str, str]]]] = {}


def terms_of_kind(kind: CampaignKind):
    """Register ``function(pledge) -> [(label, text)]`` for pledges of ``kind``."""
    def register(function: Callable[[Pledge], list[tuple[str, str]]]):
        _TERMS[kind] = function
        return function
    return register


def terms(pledge: Pledge) -> list[tuple[str, str]]:
    function = _TERMS.get(pledge.campaign.kind)
    return function(pledge) if function else []


#: Whether a pledge's reward could have arrived (community knows deliveries).
_arrival_checks: list[Callable[[Pledge], bool]] = []


def reward_arrival_known_by(function: Callable[[Pledge], bool]) -> None:
    _arrival_checks.append(function)


def may_confirm_receipt(pledge: Pledge) -> bool:
    """Offer "I received my reward" only once it could be true."""
    return any(check(pledge) for check in _arrival_checks)


#: What happened to a pledge's charge since it was collected (settlement: its disputes).
_after_charge: list[Callable[[Pledge], list[tuple[str, str]]]] = []


def after_charge_told_by(function: Callable[[Pledge], list[tuple[str, str]]]) -> None:
    """Register ``function(pledge) -> [(label, text)]`` for the pledge page."""
    _after_charge.append(function)


def after_charge(pledge: Pledge) -> list[tuple[str, str]]:
    return [row for function in _after_charge for row in function(pledge)]
