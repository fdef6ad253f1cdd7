"""Settlement services: close a campaign at its deadline, plan, begin and record charges.

These change rows and never commit; the runner (``runner.py``) owns the transactions,
because the crash-safe protocol (docs/money.md#crash-safety) commits between its steps:

1. ``begin_attempt``: a charge-attempt row with its idempotency key, status ``started``;
2. the gateway call with that key (no transaction open);
3. ``record_outcome``: the result on the attempt and the pledge.

A run killed anywhere resumes by sending the same request with the same key again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.campaigns.funding import charges_at_deadline, deadline_reason
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.states import CampaignKind, CampaignStatus, campaign_states
from crowdfund.db import utcnow
from crowdfund.equity.closing import allocate_at_deadline
from crowdfund.extensions import db
from crowdfund.ledger import services as ledger
from crowdfund.ledger.services import post_charge
from crowdfund.locking import lock
from crowdfund.notifications.outbox import batch
from crowdfund.payments.gateway import (
    AuthenticationRequired,
    PaymentError,
    PaymentIntentInfo,
)
from crowdfund.pledges.models import Pledge, PledgeAddOn, PledgeStatus
from crowdfund.pledges.services import OPEN_STATUSES, release_abandoned
from crowdfund.pledges.states import pledge_states
from crowdfund.pledges.terms import reflection_ends
from crowdfund.pledges.totals import counted_totals_of
from crowdfund.pledges.units import release_add_ons_of, release_units
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.settlement.states import charge_states
from crowdfund.supervision import each_isolated

S, P, C = CampaignStatus, PledgeStatus, ChargeStatus


def close_at_deadline(campaign: Campaign, now: datetime | None = None) -> None:
    """The whole close in the caller's transaction: :func:`decide_at_deadline`, then
    :func:`close_out` until done. For tests and small campaigns; the runner commits
    between the batches instead."""
    now = now or utcnow()
    if decide_at_deadline(campaign, now) or campaign.closed_out_at is None:
        after: int | None = 0
        while after is not None:
            after = close_out(campaign, after, now=now)


def decide_at_deadline(campaign: Campaign, now: datetime | None = None) -> bool:
    """Live and past the deadline: freeze the totals, then funded or failed (one short
    transaction whatever the campaign's size: no pledge is touched but the abandoned
    attempts). :func:`close_out` then tells (and, if it failed, releases) the pledges.
    Returns whether the campaign closed now."""
    now = now or utcnow()
    if campaign.status is not S.LIVE or campaign.deadline is None or campaign.deadline > now:
        return False
    # Pledge activations, changes and cancellations lock the campaign first: none of them
    # runs between the totals read here and the totals frozen (nor under the allocation).
    lock(campaign)
    if campaign.status is not S.LIVE or campaign.deadline > now:
        return False
    if reflection_ends(campaign, now) is not None:
        return False  # an investor may still revoke: decided once every period ended
    release_abandoned(now, campaign_id=campaign.id)
    db.session.flush()
    # All or nothing: the goal reached; flexible: anything pledged (docs/domain.md).
    funded = charges_at_deadline(campaign, counted_totals_of(campaign).pledged)
    if funded and campaign.kind is CampaignKind.EQUITY:
        allocate_at_deadline(campaign)  # never more than the maximum is charged
        db.session.flush()
    totals = counted_totals_of(campaign)
    campaign.pledged_at_deadline_minor = totals.pledged.amount
    campaign.backers_at_deadline = totals.backers
    campaign_states.apply(campaign, S.FUNDED if funded else S.FAILED,
                          reason=deadline_reason(campaign, totals.pledged, funded))
    events.campaign_closed.send(campaign, funded=funded, pledged=totals.pledged,
                                backers=totals.backers)  # the founder told
    return True


def close_out(campaign: Campaign, after: int = 0, *, limit: int = 500,
              now: datetime | None = None) -> int | None:
    """One batch of a closed campaign's pledges, in id order after ``after``: a failed
    campaign releases them (one UPDATE, audit rows in one INSERT, one unit release per
    tier), and each is told the outcome (one INSERT into the outbox). Returns the last
    pledge id done, or None when there was none left: then the followers are told and
    ``closed_out_at`` is set. Safe to run again from anywhere (a killed run resumes)."""
    if campaign.closed_out_at is not None or campaign.status not in (S.FUNDED, S.FAILED):
        return None
    funded = campaign.status is S.FUNDED
    if funded:
        ids = list(db.session.scalars(
            sa.select(Pledge.id).where(Pledge.campaign_id == campaign.id,
                                       Pledge.status == P.ACTIVE, Pledge.id > after)
            .order_by(Pledge.id).limit(limit)))
    else:
        rows = db.session.execute(
            sa.select(Pledge.id, Pledge.status, Pledge.tier_id)
            .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(OPEN_STATUSES),
                   Pledge.id > after)
            .order_by(Pledge.id).limit(limit)).all()
        ids = [row.id for row in rows]
        pledge_states.apply_many(Pledge, [(row.id, row.status) for row in rows], P.RELEASED,
                                 reason="Campaign did not reach its goal",
                                 values={"pending_expires_at": None})
        for tier_id, count in Counter(row.tier_id for row in rows if row.tier_id).items():
            release_units(tier_id, count)
        release_add_ons_of(ids)
    with batch():
        if ids:
            told = db.session.scalars(
                sa.select(Pledge).where(Pledge.id.in_(ids)).order_by(Pledge.id)
                .options(joinedload(Pledge.backer).lazyload(User.verification),
                         joinedload(Pledge.tier).lazyload(RewardTier.shipping_rates),
                         selectinload(Pledge.add_ons))
                .execution_options(populate_existing=True)).all()
            events.pledges_told_outcome.send(campaign, pledges=told, funded=funded)
            return ids[-1]
        events.campaign_closed_out.send(campaign, funded=funded)  # the followers told
    campaign.closed_out_at = now or utcnow()
    return None


def pledge_ids_to_charge(campaign_id: int, after_id: int, limit: int,
                         through_id: int | None = None) -> list[int]:
    """Active pledges (not charged yet), in id order from ``after_id`` (up to
    ``through_id``): constant memory."""
    stmt = sa.select(Pledge.id).where(Pledge.campaign_id == campaign_id,
                                      Pledge.status == P.ACTIVE, Pledge.id > after_id)
    if through_id is not None:
        stmt = stmt.where(Pledge.id <= through_id)
    return list(db.session.scalars(stmt.order_by(Pledge.id).limit(limit)))


def begin_attempt(pledge: Pledge, now: datetime | None = None, *,
                  retry: bool = False) -> ChargeAttempt | None:
    """Step 1: the attempt row (or the unfinished one to resume), before any gateway call.

    The charge at the deadline (``retry=False``) is for active pledges; a retry (the
    backer fixing their payment, or the final automatic retry) is for pledges whose charge
    failed, and needs the previous attempt finished. Returns None when there is nothing to
    send: the pledge is not in that state, it was charged already, or an unfinished attempt
    is too old for the gateway to replay (it becomes ``unknown`` and is left to
    reconciliation, never retried blindly).
    """
    attempts = db.session.scalars(sa.select(ChargeAttempt).where(
        ChargeAttempt.pledge_id == pledge.id).order_by(ChargeAttempt.attempt_no)).all()
    attempt = _begin(pledge, attempts, now or utcnow(), retry)
    db.session.flush()
    return attempt


def _begin(pledge: Pledge, attempts: list[ChargeAttempt], now: datetime,
           retry: bool) -> ChargeAttempt | None:
    """:func:`begin_attempt` given the pledge's attempts so far, in order (no flush)."""
    # At the deadline: active pledges, and late pledges (pending until charged at once).
    due = pledge.status is P.ACTIVE or (pledge.late and pledge.status is P.PENDING)
    if not (pledge.needs_payment if retry else due):
        return None
    unfinished = [a for a in attempts if a.status is C.STARTED]
    if unfinished:
        attempt = unfinished[-1]
        if now - attempt.created_at > current_app.config["IDEMPOTENCY_WINDOW"]:
            charge_states.apply(attempt, C.UNKNOWN,
                                reason="Started too long ago to replay; reconcile by hand")
            return None
        return attempt
    if any(a.status in (C.SUCCEEDED, C.UNKNOWN, C.REQUIRES_ACTION) for a in attempts):
        # Never a second charge for a pledge; a PaymentIntent waiting for authentication
        # must be completed or cancelled (``supersede``) before another is made.
        return None
    number = (attempts[-1].attempt_no + 1) if attempts else 1
    attempt = ChargeAttempt(
        pledge_id=pledge.id, campaign_id=pledge.campaign_id, attempt_no=number,
        idempotency_key=f"pledge-{pledge.id}-charge-{number}",
        amount_minor=pledge.amount_minor, currency=pledge.currency, status=C.STARTED,
    )
    db.session.add(attempt)
    return attempt


def charge_request(pledge: Pledge, attempt: ChargeAttempt) -> dict:
    """The arguments of ``gateway.charge_off_session`` for an attempt: everything the call
    needs, read before the commit, so that no transaction stays open during the call."""
    return dict(
        amount=attempt.amount, customer_id=pledge.backer.payment_customer_id,
        payment_method_id=pledge.payment_method_id,
        metadata={"pledge_id": str(pledge.id), "campaign_id": str(pledge.campaign_id),
                  "attempt": str(attempt.attempt_no)},
        idempotency_key=attempt.idempotency_key,
    )


@dataclass(frozen=True)
class ChargeRequest:
    """One gateway call to make: which attempt, and the call's arguments."""

    pledge_id: int
    attempt_id: int
    call: dict


def begin_attempts(pledge_ids: list[int], now: datetime | None = None) -> list[ChargeRequest]:
    """Step 1 for a batch of active pledges in one transaction: their rows locked and read
    with their backers in one query, their attempts in another, the new attempts inserted
    together. A pledge that raises is recorded and left out; the rest go on."""
    now = now or utcnow()
    pledges = db.session.scalars(
        sa.select(Pledge).where(Pledge.id.in_(pledge_ids)).order_by(Pledge.id)
        .options(joinedload(Pledge.backer).lazyload(User.verification))
        .with_for_update(of=Pledge)).all()
    attempts: dict[int, list[ChargeAttempt]] = {}
    for attempt in db.session.scalars(sa.select(ChargeAttempt).where(
            ChargeAttempt.pledge_id.in_(pledge_ids))
            .order_by(ChargeAttempt.pledge_id, ChargeAttempt.attempt_no)):
        attempts.setdefault(attempt.pledge_id, []).append(attempt)
    begun: dict[int, tuple[Pledge, ChargeAttempt]] = {}

    def one(pledge: Pledge) -> bool:
        attempt = _begin(pledge, attempts.get(pledge.id, []), now, retry=False)
        if attempt is not None:
            begun[pledge.id] = (pledge, attempt)  # a chunk run again overwrites its entries
        return attempt is not None

    each_isolated("charge pledge", pledges, one)
    db.session.flush()
    return [ChargeRequest(pledge.id, attempt.id, charge_request(pledge, attempt))
            for pledge, attempt in begun.values() if attempt in db.session]


def record_outcomes(results: dict[int, PaymentIntentInfo | PaymentError],
                    now: datetime | None = None) -> dict[int, str]:
    """Step 3 for a batch (``{attempt id: gateway answer}``) in one transaction: attempts,
    pledges, backers and rewards read in one query, receipts queued in one INSERT. Returns
    ``{pledge id: outcome}``; a pledge that raised is recorded and left out."""
    now = now or utcnow()
    attempts = db.session.scalars(
        sa.select(ChargeAttempt).where(ChargeAttempt.id.in_(list(results)))
        .order_by(ChargeAttempt.id)
        .options(joinedload(ChargeAttempt.pledge).options(
            joinedload(Pledge.backer).lazyload(User.verification),
            joinedload(Pledge.tier).lazyload(RewardTier.shipping_rates),
            selectinload(Pledge.add_ons).joinedload(PledgeAddOn.add_on)))).all()  # receipts
    outcomes: dict[int, str] = {}

    def one(attempt: ChargeAttempt) -> bool:
        with ledger.staged(attempt.id):  # an attempt that raises books nothing
            outcomes[attempt.pledge_id] = record_outcome(attempt, results[attempt.id], now)
        return True

    with batch(), ledger.batch():  # receipts and postings: an INSERT or two per batch
        each_isolated("charge pledge", attempts, one, key=lambda attempt: attempt.pledge_id)
    return outcomes


def latest_attempt(pledge_id: int) -> ChargeAttempt | None:
    return db.session.scalar(sa.select(ChargeAttempt).where(ChargeAttempt.pledge_id == pledge_id)
                             .order_by(ChargeAttempt.attempt_no.desc()).limit(1))


def _outcome_of(attempt: ChargeAttempt, result: PaymentIntentInfo | PaymentError):
    """(charge status, pledge status) for a gateway answer; notes the error on the attempt."""
    if isinstance(result, PaymentIntentInfo):
        attempt.payment_intent_id = result.id
        if result.succeeded:
            return C.SUCCEEDED, P.COLLECTED
        if result.needs_authentication:
            return C.REQUIRES_ACTION, P.AUTHENTICATION_REQUIRED
        attempt.error_code = result.error_code or result.status
        attempt.error_message = result.error_message
        return C.FAILED, P.ERRORED
    if isinstance(result, AuthenticationRequired):
        attempt.payment_intent_id = result.payment_intent_id or attempt.payment_intent_id
        attempt.error_code = result.code
        return C.REQUIRES_ACTION, P.AUTHENTICATION_REQUIRED
    attempt.error_code = result.code or type(result).__name__
    attempt.error_message = str(result)
    return C.FAILED, P.ERRORED


def record_outcome(attempt: ChargeAttempt, result: PaymentIntentInfo | PaymentError,
                   now: datetime | None = None) -> str:
    """Step 3: what the gateway answered, on the attempt and on the pledge. Idempotent.

    Also completes an attempt that was waiting for the backer's authentication (the
    PaymentIntent read back after ``confirmCardPayment``).
    """
    now = now or utcnow()
    if attempt.status not in (C.STARTED, C.REQUIRES_ACTION, C.UNKNOWN):
        return attempt.status.value  # a racing process recorded it already
    to_charge, to_pledge = _outcome_of(attempt, result)
    if to_charge is attempt.status:
        return to_charge.value  # still waiting for authentication
    pledge = attempt.pledge
    charge_states.apply(attempt, to_charge)
    attempt.finished_at = now
    if to_charge is C.SUCCEEDED:
        post_charge(attempt)
    if pledge.status is not to_pledge and pledge_states.can(pledge.status, to_pledge):
        was_active = pledge.status is P.ACTIVE
        pledge_states.apply(pledge, to_pledge, reason=f"Charge attempt {attempt.attempt_no}: "
                                                      f"{to_charge.value}")
        if to_pledge is P.COLLECTED:
            events.charge_collected.send(pledge, amount=attempt.amount,
                                         payment_intent_id=attempt.payment_intent_id)
        elif was_active:
            pledge.payment_failed_at = now
            events.charge_failed.send(pledge,
                                      fix_by=now + current_app.config["COLLECTION_WINDOW"])
    return to_charge.value


def attempt_ids_to_reconcile(now: datetime | None = None) -> list[int]:
    """Charges whose outcome is unknown: marked so, or started longer ago than the gateway
    replays an idempotent request (nobody resumed them in time)."""
    now = now or utcnow()
    too_old = now - current_app.config["IDEMPOTENCY_WINDOW"]
    return list(db.session.scalars(sa.select(ChargeAttempt.id).where(sa.or_(
        ChargeAttempt.status == C.UNKNOWN,
        sa.and_(ChargeAttempt.status == C.STARTED, ChargeAttempt.created_at < too_old)))
        .order_by(ChargeAttempt.id)))


def begin_reconciling(attempt: ChargeAttempt) -> bool:
    """An attempt to look up at the gateway (a started one too old to replay becomes
    unknown first). False when it was settled meanwhile."""
    if attempt.status is C.STARTED:
        charge_states.apply(attempt, C.UNKNOWN,
                            reason="Started longer ago than the gateway replays; reconciling")
    return attempt.status is C.UNKNOWN


def reconcile(attempt: ChargeAttempt, found: list[PaymentIntentInfo]) -> str:
    """What the gateway holds for an unknown attempt: its PaymentIntent's outcome is
    recorded as if it had just answered; none means the request never reached it (the
    pledge is then charged again with a new attempt and key)."""
    if attempt.status is not C.UNKNOWN:
        return attempt.status.value
    if found:
        # One idempotency key makes one PaymentIntent; should there be more, a paid one wins.
        best = next((i for i in found if i.succeeded), found[0])
        return record_outcome(attempt, best)
    charge_states.apply(attempt, C.NOT_SENT, reason=(
        "Reconciled: the gateway has no PaymentIntent for this attempt; it never went out"))
    attempt.finished_at = utcnow()
    return C.NOT_SENT.value


def finish_charging(campaign: Campaign, now: datetime | None = None) -> bool:
    """Funded and every pledge charged once: collecting (errored pledges may still pay)."""
    now = now or utcnow()
    if campaign.status is not S.FUNDED:
        return False
    open_work = db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
        Pledge.campaign_id == campaign.id, Pledge.status == P.ACTIVE))
    unfinished = db.session.scalar(sa.select(sa.func.count()).select_from(ChargeAttempt).where(
        ChargeAttempt.campaign_id == campaign.id, ChargeAttempt.status == C.STARTED))
    if open_work or unfinished:
        return False
    campaign_states.apply(campaign, S.COLLECTING, reason="Every active pledge was charged once")
    campaign.collection_ends_at = now + current_app.config["COLLECTION_WINDOW"]
    return True


def claim(campaign_id: int, worker: str, now: datetime | None = None) -> bool:
    """Take (or renew) the right to settle a campaign: one process at a time."""
    now = now or utcnow()
    until = now + current_app.config["SETTLE_CLAIM_LEASE"]
    result = db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id, sa.or_(
            Campaign.settlement_claimed_by.is_(None),
            Campaign.settlement_claimed_by == worker,
            Campaign.settlement_claimed_until < now))
        .values(settlement_claimed_by=worker, settlement_claimed_until=until)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release_claim(campaign_id: int, worker: str) -> None:
    db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.settlement_claimed_by == worker)
        .values(settlement_claimed_by=None, settlement_claimed_until=None)
        .execution_options(synchronize_session=False))
