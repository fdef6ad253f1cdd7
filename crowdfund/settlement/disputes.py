"""Disputes from opening to outcome (docs/money.md#disputes).

The gateway reports a dispute with ``charge.dispute.*`` events (created, updated, closed,
funds_withdrawn, funds_reinstated), repeated and out of order. Each event is read for what
its dispute object says now (status, evidence deadline, the balance transactions that moved
money) and applied forward only, with the dispute's row locked: the status along its
transition table (a late ``updated`` after ``closed`` changes nothing), and each money
movement booked once (``dispute-<id>-withdrawn``, ``-fee``, ``-reinstated``). While a dispute
is open the pledge is disputed and its amount stays out of the founder's payout; a lost
one keeps the money gone (a founder paid already owes it: ``settlement.balances``); a won
one returns the pledge to collected and the amount to the founder, less the fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from crowdfund import events
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.filters import datetime_filter
from crowdfund.i18n import _, _l
from crowdfund.ledger.services import post_dispute
from crowdfund.payments.gateway import is_gateway_id
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.states import pledge_states
from crowdfund.settlement.models import (
    OPEN_DISPUTE_STATUSES,
    ChargeAttempt,
    ChargeStatus,
    Dispute,
    DisputeStatus,
)
from crowdfund.settlement.payouts import lock_founder_money, refresh_founder_payouts
from crowdfund.settlement.states import dispute_states

D, P = DisputeStatus, PledgeStatus
EVENT_TYPES = tuple(f"charge.dispute.{name}" for name in (
    "created", "updated", "closed", "funds_withdrawn", "funds_reinstated"))
#: A dispute in these stands against the charge: the pledge is disputed.
STANDING = OPEN_DISPUTE_STATUSES | {D.LOST}


@dataclass(frozen=True)
class DisputeReport:
    """What one event's dispute object says."""

    dispute_id: str
    payment_intent: str
    amount: int | None
    currency: str
    status: DisputeStatus | None  # None: a status we do not know (left as it is)
    reason: str
    due_by: datetime | None
    withdrawn: bool  # the amount left our balance
    fee: int  # the dispute fee charged with it, in the dispute's currency
    reinstated: bool  # the amount came back


def read(event_type: str, data: dict) -> DisputeReport | None:
    """The event's dispute object, checked for shape; None when it is not one."""
    dispute_id, payment_intent = data.get("id"), data.get("payment_intent")
    if not is_gateway_id(dispute_id) or not is_gateway_id(payment_intent):
        return None
    currency = str(data.get("currency") or "").upper()
    withdrawn = event_type.endswith(".funds_withdrawn")
    reinstated = event_type.endswith(".funds_reinstated")
    fee = 0
    for movement in data.get("balance_transactions") or []:
        if not isinstance(movement, dict) or not _is_int(movement.get("amount")):
            continue
        if movement["amount"] < 0:
            withdrawn = True
            if (str(movement.get("currency") or "").upper() == currency
                    and _is_int(movement.get("fee")) and movement["fee"] > 0):
                fee += movement["fee"]
        elif movement["amount"] > 0:
            reinstated = True
    try:
        status = DisputeStatus(data.get("status"))
    except ValueError:
        status = None
    amount = data.get("amount")
    return DisputeReport(
        dispute_id=dispute_id, payment_intent=payment_intent,
        amount=amount if _is_int(amount) and amount > 0 else None, currency=currency,
        status=status, reason="".join(c for c in str(data.get("reason") or "")
                                      if c.isprintable())[:64],
        due_by=_due_by(data.get("evidence_details")), withdrawn=withdrawn or reinstated,
        fee=fee, reinstated=reinstated)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _due_by(details) -> datetime | None:
    due = details.get("due_by") if isinstance(details, dict) else None
    if not _is_int(due) or not 0 < due < 2**33:
        return None
    return datetime.fromtimestamp(due, UTC)


def follow(event_type: str, data: dict, why: str = "") -> str:
    """Apply one ``charge.dispute.*`` event (its dispute object ``data``); what changed, in
    words (the webhook's stored outcome). Disputes of charges we did not make change
    nothing."""
    report = read(event_type, data)
    if report is None:
        return "not a dispute object"
    dispute, opened = _find_or_open(report)
    if dispute is None:
        return "no collected charge for this dispute"
    if not opened:
        _lock_money(dispute)  # a new one's were locked before its row was written
    done = ["opened"] if opened else []
    moved = report.status is not None and dispute_states.can(dispute.status, report.status)
    if moved:
        escalated = _inquiry(dispute.status) and not _inquiry(report.status)
        dispute_states.apply(dispute, report.status, reason=why or event_type)
        done.append(report.status.value)
        if escalated and dispute.is_open:
            opened = True  # an inquiry became a dispute: told again, with its deadline
            dispute.closed_at = None
    if report.due_by is not None and report.status is dispute.status:
        dispute.evidence_due_by = report.due_by
    done += _move_money(dispute, report)
    _pledge_follows(dispute)
    refresh_founder_payouts(dispute.campaign_id)
    _tell(dispute, opened=opened, closed=not dispute.is_open and (moved or opened))
    return f"dispute {dispute.gateway_dispute_id}: {', '.join(done) or 'nothing new'}"


def _inquiry(status: DisputeStatus) -> bool:
    return status.value.startswith("warning_")


def _find_or_open(report: DisputeReport) -> tuple[Dispute | None, bool]:
    """The dispute's row, locked; written first if this is the first event about it (two
    first events at once: one writes it, the other waits for it and then locks it)."""
    find = sa.select(Dispute).where(Dispute.gateway_dispute_id == report.dispute_id) \
        .with_for_update()
    dispute = db.session.scalar(find)
    if dispute is not None:
        return dispute, False
    attempt = db.session.scalar(sa.select(ChargeAttempt).where(
        ChargeAttempt.payment_intent_id == report.payment_intent,
        ChargeAttempt.status == ChargeStatus.SUCCEEDED))
    if attempt is None:
        return None, False
    # The money first, in the refunds' order (the founder's payouts, then the pledge): the
    # new row's foreign key takes a share lock on the pledge, and taken before the payouts
    # it would wait in a circle with a refund being recorded (PostgreSQL: a deadlock).
    lock_founder_money(attempt.campaign_id, db.session.get(Pledge, attempt.pledge_id))
    dispute = Dispute(
        gateway_dispute_id=report.dispute_id, pledge_id=attempt.pledge_id,
        campaign_id=attempt.campaign_id,
        # In the charge's currency, never more than was charged.
        amount_minor=min(report.amount or attempt.amount_minor, attempt.amount_minor),
        currency=attempt.currency, reason=report.reason,
        status=report.status or D.NEEDS_RESPONSE, evidence_due_by=report.due_by,
        fee_minor=0)
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
    except IntegrityError:  # written meanwhile by another first event: its row, locked
        return db.session.scalar(find), False
    return dispute, True


def _lock_money(dispute: Dispute) -> None:
    """Lock what the dispute changes in the refunds' order: the founder's payouts, then
    the pledge."""
    lock_founder_money(dispute.campaign_id, dispute.pledge)


def _move_money(dispute: Dispute, report: DisputeReport) -> list[str]:
    """Book what the report says moved and is not booked yet, once each (a lost dispute's
    money is gone, whether or not an event said it was withdrawn)."""
    done = []
    now = utcnow()
    if (report.withdrawn or dispute.status is D.LOST) and dispute.withdrawn_at is None:
        dispute.withdrawn_at = now
        post_dispute(dispute, "withdrawn")
        done.append("funds withdrawn")
    if report.fee and not dispute.fee_minor and report.currency == dispute.currency:
        dispute.fee_minor = report.fee
        post_dispute(dispute, "fee")
        done.append(f"fee {dispute.fee.format()}")
    if report.reinstated and dispute.reinstated_at is None:
        dispute.reinstated_at = now
        post_dispute(dispute, "reinstated")
        done.append("funds reinstated")
    return done


def _pledge_follows(dispute: Dispute) -> None:
    """Disputed while a dispute stands against its charge; collected again once none does
    (won, or an inquiry closed). A refunded pledge stays refunded."""
    pledge = dispute.pledge
    if dispute.status in STANDING:
        if pledge.status is P.COLLECTED:
            pledge_states.apply(pledge, P.DISPUTED, reason=f"Dispute {dispute.gateway_dispute_id}"
                                f": {dispute.reason or 'no reason given'}")
        return
    others = db.session.scalar(sa.select(sa.func.count()).select_from(Dispute).where(
        Dispute.pledge_id == pledge.id, Dispute.id != dispute.id,
        Dispute.status.in_(STANDING)))
    if pledge.status is P.DISPUTED and not others:
        pledge_states.apply(pledge, P.COLLECTED,
                            reason=f"Dispute {dispute.gateway_dispute_id} {dispute.status_label}")


def _tell(dispute: Dispute, *, opened: bool, closed: bool) -> None:
    if opened:
        events.dispute_opened.send(
            dispute.pledge, dispute_id=dispute.gateway_dispute_id, amount=dispute.amount,
            reason=dispute.reason, due_by=dispute.evidence_due_by,
            inquiry=_inquiry(dispute.status))
    if closed:
        dispute.closed_at = utcnow()
        events.dispute_closed.send(
            dispute.pledge, dispute_id=dispute.gateway_dispute_id, amount=dispute.amount,
            fee=dispute.fee, outcome=dispute.status.value)


# --- pages ---------------------------------------------------------------------------------


def open_disputes(limit: int = 200) -> list[Dispute]:
    """Open disputes, the soonest evidence deadline first (those without one last)."""
    return list(db.session.scalars(
        sa.select(Dispute).where(Dispute.status.in_(OPEN_DISPUTE_STATUSES))
        .order_by(Dispute.evidence_due_by.is_(None), Dispute.evidence_due_by, Dispute.id)
        .limit(limit)))


def closed_disputes(limit: int = 100) -> list[Dispute]:
    """Decided disputes, the latest first."""
    return list(db.session.scalars(
        sa.select(Dispute).where(Dispute.status.not_in(OPEN_DISPUTE_STATUSES))
        .order_by(Dispute.closed_at.desc().nulls_last(), Dispute.id.desc()).limit(limit)))


def disputes_of(pledge_id: int) -> list[Dispute]:
    """A pledge's disputes, oldest first (its page)."""
    return list(db.session.scalars(sa.select(Dispute).where(Dispute.pledge_id == pledge_id)
                                   .order_by(Dispute.id)))


def dashboard_url(dispute: Dispute) -> str:
    """The dispute in the gateway's dashboard (its search: no ids of ours, no secrets);
    test mode when the publishable key is a test key."""
    test = str(current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "").startswith("pk_test_")
    return (f"https://dashboard.stripe.com/{'test/' if test else ''}search"
            f"?query={dispute.gateway_dispute_id}")


#: What the backer reads about a dispute of their charge on their pledge page: its amount,
#: when it opened (an open one) or closed, and where it stands.
_BACKER_WORDS = {
    D.WARNING_NEEDS_RESPONSE: _l("%(amount)s, opened %(when)s: your bank asked about this "
                                 "charge; we are answering."),
    D.WARNING_UNDER_REVIEW: _l("%(amount)s, opened %(when)s: your bank asked about this "
                               "charge and is reviewing our answer."),
    D.WARNING_CLOSED: _l("%(amount)s, closed %(when)s: your bank's inquiry is closed: the "
                         "charge stands."),
    D.NEEDS_RESPONSE: _l("%(amount)s, opened %(when)s: your bank disputed this charge; we are "
                         "answering."),
    D.UNDER_REVIEW: _l("%(amount)s, opened %(when)s: your bank disputed this charge and is "
                       "reviewing our answer."),
    D.WON: _l("%(amount)s, closed %(when)s: your bank decided the charge stands."),
    D.LOST: _l("%(amount)s, closed %(when)s: your bank decided in your favour: %(amount)s "
               "stays returned to you."),
}


def pledge_page_rows(pledge) -> list[tuple[str, str]]:
    """The pledge page's lines about its disputes (``pledges.terms.after_charge``)."""
    rows = []
    for dispute in disputes_of(pledge.id):
        when = dispute.created_at if dispute.is_open else (dispute.closed_at
                                                           or dispute.created_at)
        text = str(_BACKER_WORDS[dispute.status]) % {
            "amount": dispute.amount.format(), "when": datetime_filter(when)}
        rows.append((_("Dispute"), text))
    return rows
