"""Pledge services: start, confirm the card, change, cancel, release.

The all-or-nothing pattern (docs/money.md#saving-a-card-at-pledge-time): a pledge saves a
card through a SetupIntent and becomes active only when the server itself reads the
SetupIntent as ``succeeded``. Reward units are claimed with a conditional UPDATE inside the
pledge's transaction, so a limited tier is never oversold. Services never commit.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.auth.recovery import require_verified_email
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock
from crowdfund.money import Money
from crowdfund.payments.gateway import PaymentGateway, SetupIntentInfo
from crowdfund.pledges import add_ons
from crowdfund.pledges.cards import expiry_problem
from crowdfund.pledges.models import OPEN_STATUSES, Pledge, PledgeStatus
from crowdfund.pledges.quoting import Quote, quote
from crowdfund.pledges.rules import (  # noqa: F401 - CampaignClosed, LastDayRule: part of the API
    CampaignClosed,
    LastDayRule,
    check_last_day,
    require_open_for_pledges,
)
from crowdfund.pledges.snapshot import terms_of
from crowdfund.pledges.states import pledge_states
from crowdfund.pledges.terms import investor_cancel_until
from crowdfund.pledges.units import claim_unit, release_add_ons_of, release_units

P = PledgeStatus
#: Pledges that still hold a promise (and maybe a reward unit).


class TierSoldOut(DomainError):
    """Every unit of a limited reward is taken."""

    status_code = 409


class AlreadyBacking(DomainError):
    """The backer has an open pledge on this campaign already: change that one."""

    status_code = 409

    def __init__(self, message: str, pledge_id: int) -> None:
        super().__init__(message)
        self.pledge_id = pledge_id


class CardSetupFailed(DomainError):
    """The gateway did not confirm the card."""

    status_code = 402


def _end(pledge: Pledge, to: PledgeStatus, *, actor=None, reason: str) -> None:
    """Close an open pledge and give back its reward unit and add-on units."""
    pledge_states.apply(pledge, to, actor=actor, reason=reason)
    pledge.pending_expires_at = None
    if pledge.tier_id is not None:
        release_units(pledge.tier_id)
    release_add_ons_of([pledge.id])


#: Public name of :func:`_end` (a late pledge whose charge failed ends the same way).
end_open_pledge = _end


# --- starting and confirming -----------------------------------------------------------


def open_pledge_of(backer: User, campaign: Campaign) -> Pledge | None:
    return db.session.scalar(_open_pledge(Pledge), {"campaign": campaign.id,
                                                    "backer": backer.id})


@functools.cache
def _open_pledge(*columns) -> sa.Select:
    return sa.select(*columns).where(
        Pledge.campaign_id == sa.bindparam("campaign"),
        Pledge.backer_id == sa.bindparam("backer"), Pledge.status.in_(OPEN_STATUSES))


def require_available(tier: RewardTier | None, now: datetime | None = None) -> None:
    """A reward sold out as read, with no abandoned attempt of it whose unit could come
    back, is refused here: it only reads, so the pledge view calls it before it queues to
    write, and the losers of a rush for the last units never wait for the winners' locks.
    ``claim_unit``'s conditional UPDATE stays the rule."""
    if tier is None or not tier.sold_out:
        return
    now = now or utcnow()
    if not db.session.scalar(sa.select(sa.exists().where(
            Pledge.tier_id == tier.id, Pledge.status == P.PENDING,
            Pledge.pending_expires_at < now))):
        raise TierSoldOut(_("“%(reward)s” is sold out.", reward=tier.title), field="tier")


def start_pledge(backer: User, campaign: Campaign, tier: RewardTier | None, amount: Money,
                 destination: str | None, now: datetime | None = None, *,
                 ref: str | None = None, extras: Iterable[tuple[AddOn, int]] = ()) -> Pledge:
    """A pending pledge holding its reward unit (and add-on units: ``extras``, pairs of
    add-on and quantity) until the card is confirmed. ``ref``: the ``?ref=`` tag of the
    link the backer came from."""
    now = now or utcnow()
    if campaign.kind is CampaignKind.EQUITY:
        raise DomainError(_("This is an equity offering: invest from its page."))
    return open_pending(backer, campaign, quote(campaign, tier, amount, destination, extras),
                        now, tier=tier, destination=destination, ref=ref)


def open_pending(backer: User, campaign: Campaign, result: Quote, now: datetime, *,
                 tier: RewardTier | None = None, destination: str | None = None,
                 shares: int | None = None, ref: str | None = None,
                 late: bool = False) -> Pledge:
    """The pending pledge (or investment) itself, once its amount is decided: one open
    pledge per backer and campaign, a reward unit and add-on units claimed without
    overselling. ``late``: a late pledge (``pledges.late`` checked its own window)."""
    if not late:
        require_open_for_pledges(campaign, now)
    if campaign.founder_id == backer.id:
        raise NotAllowed(_("You cannot back your own campaign."))
    require_verified_email(backer)
    # Its id and status first (most backers have none): the pledge itself only to replace it.
    existing = db.session.execute(_open_pledge(Pledge.id, Pledge.status),
                                  {"campaign": campaign.id, "backer": backer.id}).first()
    if existing is not None:
        if existing.status is P.ACTIVE or late:  # a late one may be paying: never replaced
            raise AlreadyBacking(_("You already back this campaign: change your pledge "
                                   "instead."), existing.id)
        _end(db.session.get(Pledge, existing.id), P.CANCELLED, actor=backer,
             reason="Replaced by a new pledge")
        db.session.flush()
    require_available(tier, now)  # sold out as read: refused before writing anything
    add_ons.require_available(result.add_ons, now)
    pledge = Pledge(
        campaign_id=campaign.id, backer_id=backer.id, tier_id=tier.id if tier else None,
        status=P.PENDING, amount_minor=result.total.amount,
        shipping_minor=result.shipping.amount, currency=campaign.currency,
        destination=destination if result.ships else None,
        shares=shares, pending_expires_at=now + current_app.config["PLEDGE_PENDING_TTL"],
        ref=ref, late=late,
    )
    add_ons.write(pledge, result.add_ons)  # inserted with the pledge, claimed below
    db.session.add(pledge)
    try:
        db.session.flush()
    except IntegrityError:  # the same backer, twice at once: the caller rolls back
        message = _("You already have a pledge in progress for this campaign.")
        raise DomainError(message) from None
    # The unit is claimed last: on PostgreSQL the reward's row stays locked from this
    # UPDATE to the commit, so others rushing for the same reward wait the least.
    if tier is not None and not claim_unit(tier.id):
        # Units held by attempts whose card never came may free it up; only then looked for.
        if not (release_abandoned(now, campaign_id=campaign.id) and claim_unit(tier.id)):
            raise TierSoldOut(_("“%(reward)s” is sold out.", reward=tier.title),
                              field="tier")  # rolled back
    if (short := add_ons.claim(result.add_ons)) is not None:  # then the add-ons, the same way
        rest = result.add_ons[result.add_ons.index(short):]
        if not (release_abandoned(now, campaign_id=campaign.id) and add_ons.claim(rest) is None):
            raise add_ons.AddOnSoldOut(short.add_on)  # rolled back
    return pledge


def ensure_customer(backer: User, gateway: PaymentGateway) -> str:
    """The backer's gateway customer, created once (idempotency key from the user's id)."""
    if backer.payment_customer_id is None:
        backer.payment_customer_id = gateway.create_customer(
            email=backer.email, name=backer.display_name,
            idempotency_key=f"user-{backer.id}-customer")
    return backer.payment_customer_id


def require_takes_card(pledge: Pledge, backer: User) -> None:
    """The backer's pledge can be given a card now: open while its campaign is (a late
    pledge's page checks the late window), or with a failed charge to pay (the fix page
    checks the window)."""
    require_owner(pledge, backer)
    if pledge.needs_payment:
        return
    if not pledge.is_open:
        raise DomainError(_("This pledge is closed."))
    if not pledge.late:
        require_open_for_pledges(pledge.campaign)


def ensure_setup_intent(pledge: Pledge, backer: User, gateway: PaymentGateway) -> SetupIntentInfo:
    """A SetupIntent for the browser to confirm: the current one while it can still be
    confirmed (declined, or waiting for 3-D Secure), a new one otherwise (after success, to
    replace the card, or once cancelled)."""
    require_takes_card(pledge, backer)
    customer = ensure_customer(backer, gateway)
    if pledge.setup_intent_id:
        current = gateway.retrieve_setup_intent(pledge.setup_intent_id)
        if current.status in ("requires_payment_method", "requires_confirmation",
                              "requires_action"):
            return current
    pledge.setup_attempts += 1
    info = gateway.create_setup_intent(
        customer_id=customer,
        metadata={"pledge_id": str(pledge.id), "campaign_id": str(pledge.campaign_id)},
        idempotency_key=f"pledge-{pledge.id}-setup-{pledge.setup_attempts}",
    )
    pledge.setup_intent_id = info.id
    return info


def confirm_card(pledge: Pledge, gateway: PaymentGateway, *, actor=None,
                 now: datetime | None = None) -> bool:
    """Read the SetupIntent from the gateway; save the card and activate the pledge (or
    tell the backer their card was replaced).

    Returns True when this call changed the pledge. Never trusts the browser: the status,
    customer and pledge id all come from the gateway.
    """
    before = terms_of(pledge)
    replaced = pledge.status is P.ACTIVE and pledge.payment_method_id is not None
    if not save_card(pledge, gateway, now):
        return False
    if pledge.status is P.PENDING:
        # The campaign's row orders activations against the close at the deadline (nothing
        # becomes active after the totals are frozen or an offering is allocated); the
        # pledge's own row against a second confirmation (the browser and a webhook).
        lock(pledge.campaign)
        lock(pledge)
        if pledge.status is not P.PENDING:
            return False
        require_open_for_pledges(pledge.campaign, now)
        pledge_states.apply(pledge, P.ACTIVE, actor=actor, reason="Card confirmed")
        pledge.pending_expires_at = None
        events.pledge_activated.send(pledge, actor=actor)  # the receipt, equity's milestones
    elif replaced:
        events.pledge_card_replaced.send(pledge, actor=actor, before=before)  # confirmed
    return True


def save_card(pledge: Pledge, gateway: PaymentGateway, now: datetime | None = None) -> bool:
    """The SetupIntent's card, read from the gateway and checked, saved on the pledge.
    False when it is saved already on an active pledge (nothing to do)."""
    if not pledge.is_open and not pledge.needs_payment:
        raise CardSetupFailed(_("This pledge is no longer open (it expired or was "
                                "cancelled). Please pledge again."))
    if pledge.setup_intent_id is None:
        raise CardSetupFailed(_("No card was set up for this pledge yet."))
    info = gateway.retrieve_setup_intent(pledge.setup_intent_id)
    if info.metadata.get("pledge_id") != str(pledge.id) or (
        info.customer_id != pledge.backer.payment_customer_id
    ):
        raise CardSetupFailed(_("That card setup does not belong to this pledge."))
    if not info.succeeded or not info.payment_method_id:
        raise CardSetupFailed(info.user_message or
                              _("Your card has not been confirmed yet. Please try again."))
    if pledge.payment_method_id == info.payment_method_id and pledge.status is P.ACTIVE:
        return False  # already done (a webhook and the browser both got here)
    card = gateway.card(info.payment_method_id)
    if problem := expiry_problem(pledge, card.exp_month, card.exp_year, now or utcnow()):
        raise CardSetupFailed(problem)
    if card.customer_id is None:  # the sandbox does not attach it; harmless on Stripe
        card = gateway.attach_payment_method(info.payment_method_id, info.customer_id)
    pledge.payment_method_id = card.payment_method_id
    pledge.card_brand, pledge.card_last4 = card.brand, card.last4
    pledge.card_exp_month, pledge.card_exp_year = card.exp_month, card.exp_year
    return True


# --- managing --------------------------------------------------------------------------


def require_owner(pledge: Pledge, user: User) -> None:
    if pledge.backer_id != user.id:
        raise NotAllowed(_("This is not your pledge."))


def _lock_for_change(pledge: Pledge) -> None:
    """Lock the campaign, then the pledge, and reload both: changes and cancellations of
    one campaign run one at a time, so the last-24-hours rule reads a total no other
    transaction is changing, and a pledge cancelled twice at once is cancelled once."""
    lock(pledge.campaign)
    lock(pledge)


def change_pledge(pledge: Pledge, backer: User, tier: RewardTier | None, amount: Money,
                  destination: str | None, now: datetime | None = None, *,
                  extras: Iterable[tuple[AddOn, int]] = ()) -> None:
    """Change reward, add-ons (``extras``: what the pledge takes now, pairs of add-on and
    quantity), amount or destination of an open pledge while the campaign is live."""
    now = now or utcnow()
    require_owner(pledge, backer)
    _lock_for_change(pledge)
    if not pledge.is_open:
        raise DomainError(_("This pledge can no longer be changed."))
    if pledge.campaign.kind is CampaignKind.EQUITY:
        raise DomainError(_("An investment cannot be changed: cancel it and invest again."))
    campaign = pledge.campaign
    require_open_for_pledges(campaign, now)
    result = quote(campaign, tier, amount, destination, extras)
    check_last_day(pledge, pledge.amount - result.total, now)
    before = terms_of(pledge)
    new_tier_id = tier.id if tier else None
    if new_tier_id != pledge.tier_id:
        if new_tier_id is not None and not claim_unit(new_tier_id):
            raise TierSoldOut(_("“%(reward)s” is sold out.", reward=tier.title), field="tier")
        if pledge.tier_id is not None:
            release_units(pledge.tier_id)
        pledge.tier_id = new_tier_id
    add_ons.change(pledge, result.add_ons)
    pledge.amount_minor = result.total.amount
    pledge.shipping_minor = result.shipping.amount
    pledge.destination = destination if result.ships else None
    db.session.flush()  # the add-on lines as they are now, for the confirmation
    db.session.expire(pledge, ["add_ons", "tier"])
    if terms_of(pledge) != before:  # the backer told what changed (notifications)
        events.pledge_changed.send(pledge, actor=backer, before=before)


def cancel_pledge(pledge: Pledge, backer: User, now: datetime | None = None) -> None:
    """The backer withdraws while the campaign is live (last-24-hours rule applies); an
    investor within their reflection period revokes (no other rule applies)."""
    now = now or utcnow()
    require_owner(pledge, backer)
    _lock_for_change(pledge)  # the campaign first: a revocation and the decision at the
    # deadline run one after the other, and the second sees what the first did
    if not pledge.is_open:
        raise DomainError(_("This pledge is already closed."))
    if pledge.revocable_until is not None and now < pledge.revocable_until:
        if pledge.campaign.status is not CampaignStatus.LIVE:
            raise DomainError(_("The offering has closed: your commitment stands."))
        _end(pledge, P.CANCELLED, actor=backer,
             reason="Revoked by the investor within the reflection period")
        events.pledge_cancelled.send(pledge, actor=backer, revoked=True)
        return
    require_open_for_pledges(pledge.campaign, now)
    if pledge.campaign.kind is CampaignKind.EQUITY:
        if now >= investor_cancel_until(pledge.campaign.deadline):
            raise DomainError(_("Investments can be cancelled until 48 hours before the "
                                "deadline; this commitment stands."))
    else:
        check_last_day(pledge, pledge.amount, now)
    _end(pledge, P.CANCELLED, actor=backer, reason="Cancelled by the backer")
    events.pledge_cancelled.send(pledge, actor=backer, revoked=False)


def release_abandoned(now: datetime | None = None, *, campaign_id: int | None = None) -> int:
    """Cancel pending pledges whose card was never confirmed, freeing their units."""
    now = now or utcnow()
    stmt = sa.select(Pledge).where(Pledge.status == P.PENDING, Pledge.pending_expires_at < now)
    if campaign_id is not None:
        stmt = stmt.where(Pledge.campaign_id == campaign_id)
    pledges = db.session.scalars(stmt).all()
    for pledge in pledges:
        _end(pledge, P.CANCELLED, reason="Card not confirmed in time")
    return len(pledges)


def release_open_pledges(campaign: Campaign, *, actor=None, reason: str) -> int:
    """Release every pending or active pledge of a stopped campaign; nothing is charged.
    In bulk: one UPDATE per status, one INSERT of audit rows, one unit release per tier."""
    rows = db.session.execute(
        sa.select(Pledge.id, Pledge.status, Pledge.tier_id)
        .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(OPEN_STATUSES))
        .with_for_update()
    ).all()
    released = pledge_states.apply_many(
        Pledge, [(row.id, row.status) for row in rows], P.RELEASED, actor=actor,
        reason=reason, values={"pending_expires_at": None})
    for tier_id, count in Counter(row.tier_id for row in rows if row.tier_id).items():
        release_units(tier_id, count)
    release_add_ons_of(row.id for row in rows)
    events.pledges_released.send(  # their backers told (notifications)
        campaign, pledge_ids=[row.id for row in rows if row.status is P.ACTIVE],
        by_founder=actor is not None and actor.id == campaign.founder_id)
    return released
