"""What a pledge's pages show beyond amount and card, per kind of campaign: a reward
pledge shows its reward; an investment its security, shares, price and until when it can
be cancelled (registered by equity, which knows its offerings); and an EU investor's
reflection period, during which they may revoke their offer (``equity.eu``); and the parts
other features add (the survey of a funded reward: ``fulfilment``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.pledges.models import Pledge, PledgeStatus


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


#: Parts of the pledge page other features show (fulfilment: the backer's survey): each
#: function gives objects with a ``template`` (included with the object as ``part``).
_page_parts: list[Callable[[Pledge], list]] = []


def page_parts_from(function: Callable[[Pledge], list]) -> None:
    """Register ``function(pledge) -> [part]`` for the pledge page."""
    if function not in _page_parts:
        _page_parts.append(function)


def page_parts(pledge: Pledge) -> list:
    return [part for function in _page_parts for part in function(pledge)]


def revocable(pledge: Pledge, now: datetime | None = None) -> bool:
    """Within the offer's reflection period (EU investors, ``equity.eu``): the investor may
    revoke it without reason or penalty, whatever the cut-off and even past the deadline,
    until the offering is decided (it is decided only once every such period ended)."""
    now = now or utcnow()
    return (pledge.revocable_until is not None and now < pledge.revocable_until
            and pledge.is_open and pledge.campaign.status is CampaignStatus.LIVE)


def reflection_ends(campaign: Campaign, now: datetime | None = None) -> datetime | None:
    """When the last reflection period of the campaign's open commitments ends (EU
    investors may revoke until then: ``revocable``); None when none runs."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(sa.func.max(Pledge.revocable_until)).where(
            Pledge.campaign_id == campaign.id,
            Pledge.status.in_((PledgeStatus.PENDING, PledgeStatus.ACTIVE)),
            Pledge.revocable_until > now))
