"""Charging a late pledge at once (docs/money.md#late-pledges): the rows around the
on-session PaymentIntent. The same crash-safe protocol as every charge: the charge attempt
``pledge-<id>-charge-1`` (``services.begin_attempt``) is committed before the call, and
``services.record_outcome`` records what the gateway answered, read back by the server
(only ``succeeded`` makes the pledge collected: ledger, fee, receipt). A late pledge whose
charge failed, or whose PaymentIntent was given up (cancelled), is cancelled and gives its
units back. These services never commit; ``late_charging.LateCharging`` makes the calls.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund.db import utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock
from crowdfund.payments.gateway import PaymentError, PaymentIntentInfo
from crowdfund.pledges.late import require_late_open
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.services import end_open_pledge
from crowdfund.settlement.models import ChargeAttempt, ChargeStatus
from crowdfund.settlement.services import begin_attempt, latest_attempt, record_outcome

P, C = PledgeStatus, ChargeStatus
#: The attempt of a late pledge that still waits for its answer.
IN_FLIGHT = (C.STARTED, C.REQUIRES_ACTION)


def begin_late_charge(pledge: Pledge, now: datetime | None = None) -> ChargeAttempt | None:
    """With its card saved: the pledge locked, the late window checked, the attempt row
    (its key from our row) written; from now on the pledge is the read-back job's, never
    released as abandoned. None when there is nothing to send (answered already, or
    waiting for 3-D Secure)."""
    now = now or utcnow()
    lock(pledge)
    if not pledge.late or pledge.status is not P.PENDING:
        return None  # collected or cancelled already
    if pledge.payment_method_id is None:
        raise DomainError(_("No card was set up for this pledge yet."))
    if latest_attempt(pledge.id) is None:
        require_late_open(pledge.campaign, now)  # a charge begun in time is finished later
    pledge.pending_expires_at = None
    return begin_attempt(pledge, now)


def record_late(attempt: ChargeAttempt, result: PaymentIntentInfo | PaymentError,
                now: datetime | None = None) -> str:
    """What the gateway says, recorded as for any charge; a late pledge whose charge failed
    is cancelled (its units freed, its card detached later like any uncharged pledge)."""
    outcome = record_outcome(attempt, result, now)
    pledge = attempt.pledge
    if attempt.status is C.FAILED and pledge.late and pledge.status is P.PENDING:
        end_open_pledge(pledge, P.CANCELLED,
                        reason=f"Late pledge: charge attempt {attempt.attempt_no} failed")
    return outcome


def waiting_attempt(pledge: Pledge) -> ChargeAttempt | None:
    """The late pledge's attempt still waiting for an answer (or for 3-D Secure)."""
    attempt = latest_attempt(pledge.id)
    if pledge.late and attempt is not None and attempt.status in IN_FLIGHT:
        return attempt
    return None


def given_up(attempt: ChargeAttempt, now: datetime | None = None) -> bool:
    """Waited longer than LATE_PLEDGE_PAY_WITHIN for the backer: cancel it."""
    now = now or utcnow()
    return attempt.created_at <= now - current_app.config["LATE_PLEDGE_PAY_WITHIN"]


def ids_to_read_back(now: datetime | None = None) -> list[int]:
    """Late pledges still pending whose charge was begun READ_BACK_AFTER ago or more: the
    backer closed the tab, or a process was killed between the call and the record."""
    now = now or utcnow()
    since = now - current_app.config["LATE_PLEDGE_READ_BACK_AFTER"]
    return list(db.session.scalars(
        sa.select(Pledge.id).join(ChargeAttempt, ChargeAttempt.pledge_id == Pledge.id)
        .where(Pledge.late.is_(True), Pledge.status == P.PENDING,
               ChargeAttempt.status.in_(IN_FLIGHT), ChargeAttempt.created_at <= since)
        .order_by(Pledge.id).distinct()))


def ids_left_unpaid() -> list[int]:
    """Late pledges still pending whose charge ended unpaid outside ``record_late`` (a
    reconciliation found it failed or never sent): nothing is in flight, so they end."""
    open_or_paid = sa.select(ChargeAttempt.id).where(
        ChargeAttempt.pledge_id == Pledge.id,
        ChargeAttempt.status.in_((*IN_FLIGHT, C.UNKNOWN, C.SUCCEEDED)))
    return list(db.session.scalars(sa.select(Pledge.id).where(
        Pledge.late.is_(True), Pledge.status == P.PENDING, Pledge.pending_expires_at.is_(None),
        ~open_or_paid.exists()).order_by(Pledge.id)))


def end_unpaid(pledge_id: int) -> bool:
    """One of :func:`ids_left_unpaid`, checked again under its row lock, cancelled."""
    pledge = db.session.get(Pledge, pledge_id, with_for_update=True)
    if pledge.status is not P.PENDING or pledge_id not in ids_left_unpaid():
        return False
    end_open_pledge(pledge, P.CANCELLED, reason="Late pledge: its charge ended unpaid")
    return True
