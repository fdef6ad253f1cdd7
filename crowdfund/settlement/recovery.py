"""After charging: backers whose payment failed fix it, are reminded, and are dropped.

The rules (docs/money.md#the-fix-window): a pledge whose charge failed (errored, or
authentication required) can be paid by its backer on the fix page for COLLECTION_WINDOW
after the failure; they are reminded every RECOVERY_REMINDER_EVERY; when the window ends
one final automatic retry is made and a pledge still unpaid is dropped, freeing its reward
unit. When no pledge is left to fix and the window has closed, the campaign is settled and
the founder's payout is scheduled. These services change rows and never commit; the gateway
calls around them are the runner's.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund import events
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus, campaign_states
from crowdfund.db import utcnow
from crowdfund.equity.closing import issue_securities
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.ledger.services import founder_owed
from crowdfund.notifications import emails
from crowdfund.pledges.late import late_window_ends
from crowdfund.pledges.models import NEEDS_PAYMENT_STATUSES, Pledge, PledgeStatus
from crowdfund.pledges.states import pledge_states
from crowdfund.pledges.units import release_add_ons_of, release_units
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus, Payout, PayoutStatus
from crowdfund.settlement.services import latest_attempt, record_outcome
from crowdfund.settlement.states import charge_states
from crowdfund.supervision import each_isolated

S, P, C = CampaignStatus, PledgeStatus, ChargeStatus
NEEDS_PAYMENT = tuple(NEEDS_PAYMENT_STATUSES)
CHARGING = (S.FUNDED, S.COLLECTING)


def fix_deadline(pledge: Pledge) -> datetime | None:
    """Until when the backer can fix a failed payment (then: final retry, then dropped)."""
    if pledge.payment_failed_at is None:
        return None
    return pledge.payment_failed_at + current_app.config["COLLECTION_WINDOW"]


def require_fixable(pledge: Pledge) -> None:
    """The fix page's rule: the charge failed, the pledge is not dropped yet, and the backer
    has not used up RECOVERY_MAX_ATTEMPTS tries."""
    if not pledge.needs_payment:
        raise DomainError(_("This investment has nothing to pay.")
                          if pledge.campaign.is_equity else _("This pledge has nothing to pay."))
    if pledge.campaign.status not in CHARGING:
        raise DomainError(_("This campaign is no longer collecting payments."))
    tries = db.session.scalar(sa.select(sa.func.count()).select_from(ChargeAttempt).where(
        ChargeAttempt.pledge_id == pledge.id)) or 0
    if tries >= current_app.config["RECOVERY_MAX_ATTEMPTS"]:
        raise DomainError(_("Too many tries for this payment. Please contact us."))


def complete_authentication(pledge: Pledge, gateway) -> str:
    """After ``confirmCardPayment`` in the browser: read the PaymentIntent ourselves and
    record what it says (never the browser's word)."""
    attempt = waiting_authentication(pledge)
    if attempt is None:
        return pledge.status.value

    return record_outcome(attempt, gateway.retrieve_payment_intent(attempt.payment_intent_id))


def waiting_authentication(pledge: Pledge) -> ChargeAttempt | None:
    """The attempt whose PaymentIntent the backer can complete on-session, if any."""
    attempt = latest_attempt(pledge.id)
    if attempt is not None and attempt.status is C.REQUIRES_ACTION and attempt.payment_intent_id:
        return attempt
    return None


def supersede(attempt: ChargeAttempt, reason: str) -> None:
    """A PaymentIntent waiting for authentication was cancelled: the attempt failed."""
    attempt.error_code = attempt.error_code or "canceled"
    attempt.error_message = reason
    attempt.finished_at = utcnow()
    charge_states.apply(attempt, C.FAILED, reason=reason)


def _needs_payment_in_charging_campaigns():
    return (sa.select(Pledge.id).join(Campaign, Campaign.id == Pledge.campaign_id)
            .where(Pledge.status.in_(NEEDS_PAYMENT), Campaign.status.in_(CHARGING),
                   Pledge.payment_failed_at.is_not(None)))


def send_reminders(now: datetime | None = None) -> int:
    """Remind every backer whose failed payment was last mentioned RECOVERY_REMINDER_EVERY
    ago, while their window is open."""
    now = now or utcnow()
    every = current_app.config["RECOVERY_REMINDER_EVERY"]
    window = current_app.config["COLLECTION_WINDOW"]
    ids = db.session.scalars(_needs_payment_in_charging_campaigns().where(
        Pledge.payment_failed_at > now - window,
        sa.func.coalesce(Pledge.last_reminded_at, Pledge.payment_failed_at) <= now - every,
    ).order_by(Pledge.id)).all()
    def remind(pledge_id: int) -> bool:
        pledge = db.session.get(Pledge, pledge_id)
        pledge.reminders_sent += 1
        pledge.last_reminded_at = now
        emails.payment_reminder(pledge, pledge.reminders_sent, fix_deadline(pledge))
        return True

    return each_isolated("payment reminder", ids, remind, key=lambda pledge_id: pledge_id)


def window_closed_ids(now: datetime | None = None) -> list[int]:
    """Pledges still unpaid when their fix window closed: final retry, then drop."""
    now = now or utcnow()
    window = current_app.config["COLLECTION_WINDOW"]
    return list(db.session.scalars(_needs_payment_in_charging_campaigns().where(
        Pledge.payment_failed_at <= now - window).order_by(Pledge.id)))


def final_retry_made(pledge: Pledge) -> bool:
    """Was an attempt made after the window closed (the final retry), and is it finished?"""
    deadline = fix_deadline(pledge)
    attempt = latest_attempt(pledge.id)
    return (attempt is not None and deadline is not None and attempt.created_at >= deadline
            and attempt.status is not C.STARTED)


def can_drop(pledge: Pledge) -> bool:
    """Only when no charge of it is unfinished or unknown (it might have gone through)."""
    unsure = db.session.scalar(sa.select(sa.func.count()).select_from(ChargeAttempt).where(
        ChargeAttempt.pledge_id == pledge.id,
        ChargeAttempt.status.in_((C.STARTED, C.UNKNOWN, C.REQUIRES_ACTION))))
    return pledge.needs_payment and not unsure


def orphaned_waiting_ids() -> list[int]:
    """Pledges no longer waiting for payment (dropped, cancelled with the campaign) whose
    PaymentIntent still waits for authentication: it must be cancelled."""
    return list(db.session.scalars(
        sa.select(ChargeAttempt.pledge_id).join(Pledge, Pledge.id == ChargeAttempt.pledge_id)
        .where(ChargeAttempt.status == C.REQUIRES_ACTION,
               # a pending (late) pledge's is the late read-back's (``settlement.late``)
               Pledge.status.not_in((*NEEDS_PAYMENT, P.PENDING)))
        .order_by(ChargeAttempt.pledge_id)))


def drop(pledge: Pledge, now: datetime | None = None) -> None:
    """Unpaid after the final retry: dropped, its reward and add-on units freed, the backer
    told."""
    pledge_states.apply(pledge, P.DROPPED,
                        reason="Payment not completed within the collection window")
    if pledge.tier_id is not None:
        release_units(pledge.tier_id)
    release_add_ons_of([pledge.id])
    events.pledge_dropped.send(pledge)


def campaigns_to_settle(now: datetime | None = None) -> list[int]:
    """Collecting campaigns whose window has closed and that have nothing left to fix."""
    now = now or utcnow()
    open_pledges = sa.select(Pledge.id).where(
        Pledge.campaign_id == Campaign.id,
        Pledge.status.in_((P.ACTIVE, *NEEDS_PAYMENT)))
    started = sa.select(ChargeAttempt.id).where(ChargeAttempt.campaign_id == Campaign.id,
                                                ChargeAttempt.status == C.STARTED)
    late_pending = sa.select(Pledge.id).where(Pledge.campaign_id == Campaign.id,
                                              Pledge.late.is_(True), Pledge.status == P.PENDING)
    campaigns = db.session.scalars(sa.select(Campaign).where(
        Campaign.status == S.COLLECTING, Campaign.collection_ends_at <= now,
        ~open_pledges.exists(), ~started.exists(), ~late_pending.exists())
        .order_by(Campaign.id)).all()
    # Late pledges' money goes in the one payout: settled once their window has closed.
    return [c.id for c in campaigns if (late_window_ends(c) or now) <= now]


def settle_campaign(campaign: Campaign, now: datetime | None = None) -> Payout:
    """The collection window is over: the campaign is settled and the payout scheduled."""
    now = now or utcnow()
    campaign_states.apply(campaign, S.SETTLED, reason="Collection window closed")
    if campaign.kind is CampaignKind.EQUITY:
        issue_securities(campaign)
    due = max(now, campaign.deadline + current_app.config["PAYOUT_DELAY"])
    payout = Payout(campaign_id=campaign.id, currency=campaign.currency,
                    amount_minor=founder_owed(campaign.id, campaign.currency).amount,
                    status=PayoutStatus.SCHEDULED, idempotency_key=f"campaign-{campaign.id}-payout",
                    due_at=due)
    db.session.add(payout)
    db.session.flush()
    return payout
