"""Differences with the gateway: recorded once, shown to operators, resolved with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crowdfund.auth.models import User
from crowdfund.db import dialect_insert, utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock
from crowdfund.money import Money
from crowdfund.settlement.books.models import (
    DifferenceKind,
    DifferenceStatus,
    GatewayDifference,
    difference_states,
)

#: A reason shorter than this says nothing.
MIN_REASON = 5


class AlreadyResolved(DomainError):
    """Another operator resolved this difference first."""

    status_code = 409


@dataclass(frozen=True)
class Found:
    """A difference seen by one reconciliation (recorded by :func:`record`)."""

    kind: DifferenceKind
    gateway_object_id: str | None
    our_ref: str | None
    expected: str
    found: str
    campaign_id: int | None = None
    pledge_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.gateway_object_id or '-'}:{self.our_ref or '-'}"


def describe(money: Money, status: str = "") -> str:
    """An amount as the console shows both sides: ``USD 100.00 succeeded``."""
    return f"{money.currency} {money.to_decimal()}{' ' + status if status else ''}"


def record(found: list[Found], now: datetime | None = None) -> int:
    """Each difference once: a new one is inserted open; one recorded before (open or
    resolved) only has ``last_seen_at`` moved. Two runs at once insert it once
    (``ON CONFLICT DO NOTHING`` on its key). Returns how many were new."""
    now = now or utcnow()
    unique = {f.key: f for f in found}
    if not unique:
        return 0
    known = set()
    for start in range(0, len(unique), 400):
        keys = list(unique)[start:start + 400]
        known |= set(db.session.scalars(sa.select(GatewayDifference.key).where(
            GatewayDifference.key.in_(keys))))
        db.session.execute(sa.update(GatewayDifference).where(GatewayDifference.key.in_(keys))
                           .values(last_seen_at=now).execution_options(synchronize_session=False))
    new = [f for key, f in unique.items() if key not in known]
    if new:
        db.session.execute(dialect_insert(db.session, GatewayDifference).values([
            {"key": f.key, "kind": f.kind, "gateway_object_id": f.gateway_object_id,
             "our_ref": f.our_ref, "campaign_id": f.campaign_id, "pledge_id": f.pledge_id,
             "expected": f.expected[:200], "found": f.found[:200],
             "status": DifferenceStatus.OPEN, "first_seen_at": now, "last_seen_at": now}
            for f in new]).on_conflict_do_nothing(index_elements=["key"]))
    return len(new)


def open_count() -> int:
    """Differences waiting for an operator (``flask ledger reconcile`` fails while any)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(GatewayDifference).where(
        GatewayDifference.status == DifferenceStatus.OPEN)) or 0


def open_differences(limit: int = 500) -> list[GatewayDifference]:
    return list(db.session.scalars(sa.select(GatewayDifference).where(
        GatewayDifference.status == DifferenceStatus.OPEN)
        .order_by(GatewayDifference.first_seen_at, GatewayDifference.id).limit(limit)))


def resolved_differences(limit: int = 100) -> list[GatewayDifference]:
    return list(db.session.scalars(sa.select(GatewayDifference).where(
        GatewayDifference.status == DifferenceStatus.RESOLVED)
        .options(selectinload(GatewayDifference.resolved_by))
        .order_by(GatewayDifference.resolved_at.desc(), GatewayDifference.id.desc())
        .limit(limit)))


def resolve(difference: GatewayDifference, actor: User, reason: str,
            now: datetime | None = None) -> None:
    """An operator closes a difference, saying what they found and did (audited). Two
    operators at once: the row is locked, so the second finds it resolved."""
    if not actor.is_operator:
        raise NotAllowed(_("Only operators can resolve differences with the gateway."))
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise DomainError(_("Say what you found and did (at least %(num)s characters).",
                            num=MIN_REASON), field="reason")
    lock(difference)
    if not difference.is_open:
        if difference.resolved_by is None:
            raise AlreadyResolved(_("This difference was resolved already."))
        raise AlreadyResolved(_("This difference was resolved already by %(name)s.",
                                name=difference.resolved_by.display_name))
    difference_states.apply(difference, DifferenceStatus.RESOLVED, actor=actor,
                            reason=reason[:500])
    difference.resolved_by_id = actor.id
    difference.reason = reason[:500]
    difference.resolved_at = now or utcnow()
