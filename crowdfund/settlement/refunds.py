"""Refunds: giving money back, never more than was collected (disputes: ``disputes``).

``request_refund`` writes a refund row with its idempotency key (status ``started``); the
runner then calls the gateway with that key and ``record_refund`` writes the outcome, as
for charges (docs/money.md#crash-safety), so a refund interrupted anywhere is resumed,
never doubled (docs/money.md#refunds).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus, campaign_states
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import _, in_language_of
from crowdfund.ledger.services import post_refund
from crowdfund.money import Money
from crowdfund.payments.gateway import PaymentError, RefundInfo
from crowdfund.pledges.models import NEEDS_PAYMENT_STATUSES, Pledge, PledgeStatus
from crowdfund.pledges.services import release_open_pledges
from crowdfund.pledges.states import pledge_states
from crowdfund.pledges.units import release_add_ons_of, release_units
from crowdfund.settlement.models import (
    ChargeAttempt,
    ChargeStatus,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from crowdfund.settlement.payouts import lock_founder_money, refresh_founder_payouts
from crowdfund.settlement.states import refund_states

P, R = PledgeStatus, RefundStatus


def collected_attempt(pledge: Pledge) -> ChargeAttempt | None:
    return db.session.scalar(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == pledge.id, ChargeAttempt.status == ChargeStatus.SUCCEEDED))


def refundable(pledge: Pledge) -> Money:
    """Collected, less what is refunded or being refunded."""
    return refundable_of([pledge]).get(pledge.id, Money.zero(pledge.currency))


def refundable_of(pledges: list[Pledge]) -> dict[int, Money]:
    """``refundable`` for many pledges in two queries (pledges never collected: absent)."""
    ids = [p.id for p in pledges]
    if not ids:
        return {}
    collected = dict(db.session.execute(
        sa.select(ChargeAttempt.pledge_id, ChargeAttempt.amount_minor).where(
            ChargeAttempt.pledge_id.in_(ids), ChargeAttempt.status == ChargeStatus.SUCCEEDED)
    ).all())
    in_flight = dict(db.session.execute(
        sa.select(Refund.pledge_id, sa.func.sum(Refund.amount_minor))
        .where(Refund.pledge_id.in_(ids), Refund.status == R.STARTED)
        .group_by(Refund.pledge_id)).all())
    return {p.id: Money(max(collected[p.id] - p.refunded_minor - int(in_flight.get(p.id, 0)), 0),
                        p.currency)
            for p in pledges if p.id in collected}


def payout_paid(campaign_id: int) -> bool:
    return db.session.scalar(sa.select(Payout.id).where(
        Payout.campaign_id == campaign_id,
        Payout.status.in_((PayoutStatus.PAID, PayoutStatus.STARTED)))) is not None


def _lock_payout_and_pledge(pledge: Pledge) -> None:
    """Lock the founder's payouts (this campaign's among them), then the pledge. A refund
    and the payout then never overlap (the payout waits for started refunds, a founder's
    refund sees a payout that began), two refunds of one pledge are checked one at a time
    against what is left, and a dispute event on the pledge takes the same locks in the
    same order (``payouts.lock_founder_money``)."""
    lock_founder_money(pledge.campaign_id, pledge)


def request_refund(pledge: Pledge, amount: Money, actor: User, reason: str = "") -> Refund:
    """A refund of ``amount`` (at most what is left to refund). Operators may refund any
    collected pledge; a founder only their own campaign's, and only before the payout."""
    _lock_payout_and_pledge(pledge)
    if not actor.is_operator:
        if pledge.campaign.founder_id != actor.id:
            raise NotAllowed(_("Only the campaign's founder or an operator can refund it."))
        if payout_paid(pledge.campaign_id):
            raise DomainError(_("The payout is done: ask an operator to refund this backer."))
    if pledge.status is not P.COLLECTED:
        raise DomainError(_("Only collected pledges can be refunded (this one is "
                            "%(status)s).", status=str(pledge.status_label).lower()))
    if amount.currency != pledge.currency:
        raise DomainError(_("Refund in %(currency)s.", currency=pledge.currency),
                          field="amount")
    if amount.amount <= 0:
        raise DomainError(_("Refund more than nothing."), field="amount")
    left = refundable(pledge)
    if amount > left:
        raise DomainError(_("At most %(amount)s can be refunded.", amount=left.format()),
                          field="amount")
    attempt = collected_attempt(pledge)
    number = (db.session.scalar(sa.select(sa.func.count()).select_from(Refund).where(
        Refund.pledge_id == pledge.id)) or 0) + 1
    refund = Refund(pledge_id=pledge.id, campaign_id=pledge.campaign_id, attempt_id=attempt.id,
                    idempotency_key=f"pledge-{pledge.id}-refund-{number}",
                    amount_minor=amount.amount, currency=amount.currency, status=R.STARTED,
                    reason=reason[:300], requested_by_id=actor.id)
    db.session.add(refund)
    db.session.flush()
    return refund


def record_refund(refund: Refund, result: RefundInfo | PaymentError,
                  now: datetime | None = None) -> str:
    """The gateway's answer, on the refund, the pledge and the ledger. Idempotent."""
    if refund.status is not R.STARTED:
        return refund.status.value
    _lock_payout_and_pledge(refund.pledge)  # the dispute events' order: no deadlock
    db.session.refresh(refund)
    if refund.status is not R.STARTED:  # recorded meanwhile by another process
        return refund.status.value
    refund.finished_at = now or utcnow()
    if isinstance(result, PaymentError) or result.failed:
        refund.error_message = str(result) if isinstance(result, PaymentError) else result.status
        refund_states.apply(refund, R.FAILED, reason=refund.error_message)
        return R.FAILED.value
    refund.gateway_refund_id = result.id
    refund_states.apply(refund, R.SUCCEEDED)
    pledge = refund.pledge
    pledge.refunded_minor += refund.amount_minor
    if pledge.refunded_minor >= refund.attempt.amount_minor and pledge.status is P.COLLECTED:
        pledge_states.apply(pledge, P.REFUNDED, reason=refund.reason or "Refunded in full")
    db.session.flush()
    post_refund(refund)
    refresh_founder_payouts(refund.campaign_id)
    events.refund_issued.send(pledge, refund_id=refund.id, amount=refund.amount,
                              reason=refund.reason)
    return R.SUCCEEDED.value




def started_refund_ids(campaign_id: int | None = None) -> list[int]:
    stmt = sa.select(Refund.id).where(Refund.status == R.STARTED).order_by(Refund.id)
    if campaign_id is not None:
        stmt = stmt.where(Refund.campaign_id == campaign_id)
    return list(db.session.scalars(stmt))


def cancel_funded(campaign: Campaign, actor: User, reason: str) -> list[Refund]:
    """An operator stops a funded campaign: nobody more is charged, everyone is refunded.

    Pledges not charged yet are released; failed payments are dropped; every collected
    pledge gets a refund of what is left of it. Returns the refunds to send.
    """
    if not actor.is_operator:
        raise NotAllowed(_("Only operators can cancel a funded campaign."))
    if campaign.status not in (CampaignStatus.FUNDED, CampaignStatus.COLLECTING):
        raise DomainError(_("Only a funded campaign that is not settled can be cancelled "
                            "here."))
    if campaign.settlement_claimed_until and campaign.settlement_claimed_until > utcnow():
        raise DomainError(_("Settlement is running for this campaign; try again in a "
                            "minute."))
    if len(reason.strip()) < 5:
        raise DomainError(_("Give a reason (at least 5 characters)."), field="reason")
    campaign_states.apply(campaign, CampaignStatus.CANCELLED, actor=actor, reason=reason)
    release_open_pledges(campaign, actor=actor, reason=f"Campaign cancelled: {reason}")
    for pledge in db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign.id,
            Pledge.status.in_(NEEDS_PAYMENT_STATUSES))).all():
        pledge_states.apply(pledge, P.DROPPED, actor=actor, reason=f"Campaign cancelled: {reason}")
        if pledge.tier_id is not None:
            release_units(pledge.tier_id)
        release_add_ons_of([pledge.id])
        events.pledge_dropped.send(pledge, with_campaign=True)  # the backer told
    refunds = []
    for pledge in db.session.scalars(sa.select(Pledge).where(
            Pledge.campaign_id == campaign.id, Pledge.status == P.COLLECTED)
            .order_by(Pledge.id)).all():
        left = refundable(pledge)
        if left.amount > 0:
            refunds.append(request_refund(pledge, left, actor, _cancelled(pledge, reason)))
    return refunds


def _cancelled(pledge: Pledge, reason: str) -> str:
    """The refund's reason, as its backer reads it (in their language: the refund email
    and their pledge page show it)."""
    backer = pledge.backer
    with in_language_of(backer.locale, backer.timezone):
        return _("The campaign was cancelled: %(reason)s", reason=reason)
