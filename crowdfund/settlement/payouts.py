"""Founders' payouts: scheduled at settlement, due PAYOUT_DELAY after the deadline, paid by
a Connect transfer (with an idempotency key, crash-safe like charges) or by an operator who
marks it paid. The amount is what the ledger says the founder is owed at that moment."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.filters import date_filter
from crowdfund.i18n import _
from crowdfund.ledger.services import post_payout
from crowdfund.locking import lock
from crowdfund.payments.gateway import PaymentGateway
from crowdfund.settlement import balances
from crowdfund.settlement.models import Payout, PayoutStatus, Refund, RefundStatus
from crowdfund.settlement.states import payout_states

PO = PayoutStatus


def refresh_amount(payout: Payout) -> None:
    """Not paid yet: the amount follows the ledger (refunds, disputes), less what open
    disputes hold, plus what the founder's earlier payouts carry (``settlement.balances``);
    never below nothing (what the founder owes then carries on to their next payout)."""
    if payout.status in (PO.SCHEDULED, PO.DUE, PO.FAILED):
        payout.amount_minor = max(balances.payable(payout).amount, 0)


def lock_founder_money(campaign_id: int, pledge) -> None:
    """Lock, in this order, every payout of the campaign's founder (by id) and then the
    pledge: what a refund or a dispute changes. Requests and recordings of refunds and
    every dispute event take the same order, so none waits for another in a circle on
    PostgreSQL (paying a payout locks that payout, then the founder's row)."""
    founder_id = sa.select(Campaign.founder_id).where(Campaign.id == campaign_id) \
        .scalar_subquery()
    db.session.scalars(sa.select(Payout.id).join(Campaign, Campaign.id == Payout.campaign_id)
                       .where(Campaign.founder_id == founder_id).order_by(Payout.id)
                       .with_for_update(of=Payout)).all()
    lock(pledge)


def refresh_founder_payouts(campaign_id: int) -> None:
    """Every unpaid payout of this campaign's founder follows the ledger again (a refund or
    a dispute on one campaign can change what the founder's next payout carries)."""
    db.session.flush()
    for payout in db.session.scalars(
            sa.select(Payout).join(Campaign, Campaign.id == Payout.campaign_id)
            .where(Campaign.founder_id == balances.founder_of(campaign_id))
            .order_by(Payout.id)):
        refresh_amount(payout)


def make_due(now: datetime | None = None) -> int:
    now = now or utcnow()
    payouts = db.session.scalars(sa.select(Payout).where(
        Payout.status == PO.SCHEDULED, Payout.due_at <= now)).all()
    for payout in payouts:
        refresh_amount(payout)
        payout_states.apply(payout, PO.DUE, reason="Payout date reached")
    return len(payouts)


def ensure_payout_account(founder: User, gateway: PaymentGateway) -> str:
    """The founder's connected (Express) account, created once (idempotency key from the
    user's id)."""
    if founder.payout_account_id is None:
        founder.payout_account_id = gateway.create_connected_account(
            email=founder.email, country=None, idempotency_key=f"user-{founder.id}-connect")
    return founder.payout_account_id


def onboarding_link(founder: User, gateway: PaymentGateway, back_url: str) -> str:
    """Where the founder completes (or resumes) the gateway's onboarding, coming back to
    ``back_url``."""
    return gateway.account_onboarding_link(ensure_payout_account(founder, gateway),
                                           refresh_url=back_url, return_url=back_url)


def connect_destination(campaign: Campaign) -> str | None:
    """The founder's connected account when Connect pays this payout, else None."""
    if not current_app.config["STRIPE_CONNECT_ENABLED"]:
        return None
    return campaign.founder.payout_account_id


def transferable_ids() -> list[int]:
    """Due (or started and interrupted) payouts that Connect can pay."""
    if not current_app.config["STRIPE_CONNECT_ENABLED"]:
        return []
    return list(db.session.scalars(
        sa.select(Payout.id).join(Campaign, Campaign.id == Payout.campaign_id)
        .join(User, User.id == Campaign.founder_id)
        .where(Payout.status.in_((PO.DUE, PO.STARTED)), User.payout_account_id.is_not(None))
        .order_by(Payout.id)))


def founder_verified(campaign_id: int) -> bool:
    """Is the identity of the founder to be paid verified (what paying them needs)?"""
    founder = db.session.scalar(sa.select(User).join(Campaign, Campaign.founder_id == User.id)
                                .where(Campaign.id == campaign_id))
    return founder is not None and founder.is_verified


def refunds_in_flight(campaign_id: int) -> bool:
    """A refund of this campaign was requested and not answered yet: the ledger does not
    show it, so a payout now would pay the founder money that is going back to a backer."""
    return db.session.scalar(sa.select(Refund.id).where(
        Refund.campaign_id == campaign_id, Refund.status == RefundStatus.STARTED)
        .limit(1)) is not None


def begin_transfer(payout: Payout, destination: str) -> bool:
    """Step 1 of a transfer: amount fixed, status started (committed before the call).
    Call with the payout's row locked."""
    if payout.status is PO.STARTED:
        return True
    if payout.status is not PO.DUE or refunds_in_flight(payout.campaign_id):
        return False
    if not founder_verified(payout.campaign_id):
        return False  # paid once an operator has verified who receives it
    balances.lock_founder(payout.campaign_id)
    refresh_amount(payout)
    if payout.amount_minor <= 0:
        mark_paid(payout, None, "Nothing to pay out")
        return False
    payout.method = "connect"
    payout.destination_account = destination
    payout.sent_at = utcnow()
    payout_states.apply(payout, PO.STARTED, reason=f"Transfer to {destination}")
    return True


def record_transfer(payout: Payout, transfer_id: str | None, error: str | None = None) -> None:
    if payout.status is not PO.STARTED:
        return
    if transfer_id is None:
        payout.error_message = error
        payout_states.apply(payout, PO.FAILED, reason=error)
        return
    payout.transfer_id = transfer_id
    _paid(payout, None, f"Transfer {transfer_id}")


def mark_paid(payout: Payout, actor: User | None, reference: str) -> None:
    """An operator paid the founder by hand (bank transfer): record it with a reference."""
    if actor is not None and not actor.is_operator:
        raise NotAllowed(_("Only operators can mark payouts paid."))
    lock(payout)  # refunds lock it too: the amount below is not changing under us
    if payout.status is PO.SCHEDULED:
        raise DomainError(_("This payout is not due until %(date)s.",
                            date=date_filter(payout.due_at)))
    if payout.status not in (PO.DUE, PO.FAILED):
        raise DomainError(_("This payout is not due."))
    if len(reference.strip()) < 3:
        raise DomainError(_("Enter the payment reference (at least 3 characters)."),
                          field="reference")
    if not founder_verified(payout.campaign_id):
        raise DomainError(_("Verify the founder's identity before paying them (Founders)."))
    if refunds_in_flight(payout.campaign_id):
        raise DomainError(_("A refund of this campaign is being sent; mark the payout paid "
                            "once it is done (in a minute or two)."))
    balances.lock_founder(payout.campaign_id)
    refresh_amount(payout)
    payout.method = "manual"
    payout.reference = reference.strip()[:200]
    _paid(payout, actor, f"Paid by hand: {payout.reference}")


def _paid(payout: Payout, actor: User | None, reason: str) -> None:
    payout_states.apply(payout, PO.PAID, actor=actor, reason=reason)
    payout.paid_at = utcnow()
    payout.paid_by_id = actor.id if actor else None
    db.session.flush()
    if payout.amount_minor > 0:
        post_payout(payout)
    events.payout_paid.send(db.session.get(Campaign, payout.campaign_id), amount=payout.amount)
