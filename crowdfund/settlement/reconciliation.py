"""The ledger agrees with what settlement did (``flask ledger check``; registered with
``ledger.services.checked_against`` in ``settlement.subscribers``)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.extensions import db
from crowdfund.ledger.models import Account
from crowdfund.ledger.services import booked
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement.models import (
    OPEN_DISPUTE_STATUSES,
    ChargeAttempt,
    ChargeStatus,
    Dispute,
    DisputeStatus,
    Payout,
    PayoutStatus,
    Refund,
    RefundStatus,
)

COLLECTED = (PledgeStatus.COLLECTED, PledgeStatus.REFUNDED, PledgeStatus.DISPUTED)


def problems() -> list[str]:
    """Each succeeded charge attempt is booked exactly once, for its amount; each
    collected pledge has a booked charge, and nothing else has one; each succeeded refund,
    dispute movement (withdrawn, fee, reinstated) and paid payout is booked once, for its
    amount; a pledge is disputed while its dispute stands; and a pledge's refunded amount
    equals its succeeded refunds."""
    return [*charge_problems(), *money_out_problems(), *dispute_problems(),
            *refunded_problems()]


def charge_problems() -> list[str]:
    found: list[str] = []
    charges = booked("charge", Account.PROCESSOR_BALANCE)
    succeeded = db.session.execute(sa.select(
        ChargeAttempt.id, ChargeAttempt.amount_minor, ChargeAttempt.pledge_id).where(
        ChargeAttempt.status == ChargeStatus.SUCCEEDED)).all()
    for attempt_id, amount, _pledge_id in succeeded:
        got = charges.pop(f"charge-attempt-{attempt_id}", None)
        if got is None:
            found.append(f"charge attempt {attempt_id} succeeded but is not booked")
        elif got != amount:
            found.append(f"charge attempt {attempt_id}: booked {got}, charged {amount}")
    found.extend(f"{key} is booked but the attempt did not succeed" for key in charges)
    charged = {pledge_id for _, _, pledge_id in succeeded}
    collected = set(db.session.scalars(sa.select(Pledge.id).where(
        Pledge.status.in_(COLLECTED))))
    found.extend(f"pledge {pledge_id} is collected without a succeeded charge"
                 for pledge_id in sorted(collected - charged))
    found.extend(f"pledge {pledge_id} was charged but is not collected"
                 for pledge_id in sorted(charged - collected))
    return found


def money_out_problems() -> list[str]:
    found: list[str] = []
    expected = [
        ("refund", Account.REFUNDS, {f"refund-{i}": a for i, a in db.session.execute(
            sa.select(Refund.id, Refund.amount_minor).where(
                Refund.status == RefundStatus.SUCCEEDED))}),
        *dispute_movements(),
        ("payout", Account.PAYOUTS, {f"payout-{i}": a for i, a in db.session.execute(
            sa.select(Payout.id, Payout.amount_minor).where(  # nothing paid: nothing booked
                Payout.status == PayoutStatus.PAID, Payout.amount_minor > 0))}),
    ]
    for kind, account, wanted in expected:
        booked_kind = booked(kind, account)
        for key, amount in wanted.items():
            got = booked_kind.pop(key, None)
            if got is None:
                found.append(f"{key} happened but is not booked")
            elif got != amount:
                found.append(f"{key}: booked {got}, happened {amount}")
        # (a key with nothing debited here is another movement's: a dispute's withdrawal
        # only credits the processor balance its reinstatement debits)
        found.extend(f"{key} is booked but did not happen"
                     for key, amount in booked_kind.items() if amount)
    return found


def dispute_movements() -> list[tuple[str, Account, dict[str, int]]]:
    """What each dispute moved, by the account its ledger transaction debits: withdrawn
    (disputes), its fee (dispute fees), reinstated (the processor balance)."""
    rows = db.session.execute(sa.select(
        Dispute.gateway_dispute_id, Dispute.amount_minor, Dispute.fee_minor,
        Dispute.withdrawn_at, Dispute.reinstated_at)).all()
    return [
        ("dispute", Account.DISPUTES,
         {f"dispute-{i}-withdrawn": a for i, a, _, out, _ in rows if out is not None}),
        ("dispute", Account.DISPUTE_FEES,
         {f"dispute-{i}-fee": fee for i, _, fee, _, _ in rows if fee}),
        ("dispute", Account.PROCESSOR_BALANCE,
         {f"dispute-{i}-reinstated": a for i, a, _, _, back in rows if back is not None}),
    ]


def dispute_problems() -> list[str]:
    """A pledge is disputed exactly while one of its disputes is open or was lost, and
    money comes back only after it left."""
    found: list[str] = []
    rows = db.session.execute(sa.select(
        Dispute.gateway_dispute_id, Dispute.pledge_id, Dispute.status, Dispute.withdrawn_at,
        Dispute.reinstated_at, Pledge.status).join(Pledge, Pledge.id == Dispute.pledge_id)).all()
    standing = {pledge_id for _, pledge_id, status, *_ in rows
                if status in OPEN_DISPUTE_STATUSES or status is DisputeStatus.LOST}
    for dispute_id, pledge_id, _status, out, back, pledge_status in rows:
        if back is not None and out is None:
            found.append(f"dispute {dispute_id} reinstated money that was never withdrawn")
        if pledge_id in standing and pledge_status is PledgeStatus.COLLECTED:
            found.append(f"pledge {pledge_id} is collected but dispute {dispute_id} stands")
    disputed = set(db.session.scalars(sa.select(Pledge.id).where(
        Pledge.status == PledgeStatus.DISPUTED)))
    found.extend(f"pledge {pledge_id} is disputed without an open or lost dispute"
                 for pledge_id in sorted(disputed - standing))
    return found


def refunded_problems() -> list[str]:
    found: list[str] = []
    refunded = dict(db.session.execute(
        sa.select(Refund.pledge_id, sa.func.sum(Refund.amount_minor))
        .where(Refund.status == RefundStatus.SUCCEEDED).group_by(Refund.pledge_id)).all())
    for pledge_id, amount in db.session.execute(
            sa.select(Pledge.id, Pledge.refunded_minor).where(Pledge.refunded_minor > 0)):
        said = int(refunded.pop(pledge_id, 0))
        if said != amount:
            found.append(f"pledge {pledge_id}: refunded {amount} but refunds say {said}")
    found.extend(f"pledge {pledge_id} has refunds but no refunded amount"
                 for pledge_id in refunded)
    return found
