"""Refunds and Connect transfers whose answer was lost for longer than the gateway replays a
key: looked up at the gateway before they are ever sent again (docs/money.md#crash-safety).

A refund or transfer is ``started`` from the moment its row and key are committed until
its answer is recorded; a pass that meets it sends it again with the same key, and the
gateway replays the first answer, but only for about 24 hours. Past
``IDEMPOTENCY_WINDOW`` (23 h) a second send could make a second refund or transfer, so the
row is looked up first, by our metadata (``refund_id`` among the PaymentIntent's refunds,
``payout_id`` among the founder's account's transfers): one found is recorded as if it
had just answered; none found means the gateway never made it, and it is sent again with
its key from now (``sent_at``), which the gateway no longer holds.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.payments.gateway import RefundInfo
from crowdfund.payments.listings import TransferInfo
from crowdfund.settlement.models import Payout, PayoutStatus, Refund, RefundStatus
from crowdfund.settlement.payouts import record_transfer
from crowdfund.settlement.refunds import record_refund

#: The look-up found nothing: the row's key is fresh from now and it may be sent.
NOT_AT_GATEWAY = "not at the gateway: sent again"


def _too_old(now: datetime | None) -> datetime:
    return (now or utcnow()) - current_app.config["IDEMPOTENCY_WINDOW"]


def stale(row: Refund | Payout, now: datetime | None = None) -> bool:
    """Started longer ago than the gateway replays its key."""
    started = row.sent_at or row.created_at
    return started < _too_old(now)


def stale_refund_ids(now: datetime | None = None) -> list[int]:
    return list(db.session.scalars(sa.select(Refund.id).where(
        Refund.status == RefundStatus.STARTED,
        sa.func.coalesce(Refund.sent_at, Refund.created_at) < _too_old(now))
        .order_by(Refund.id)))


def stale_payout_ids(now: datetime | None = None) -> list[int]:
    return list(db.session.scalars(sa.select(Payout.id).where(
        Payout.status == PayoutStatus.STARTED,
        sa.func.coalesce(Payout.sent_at, Payout.created_at) < _too_old(now))
        .order_by(Payout.id)))


def refund_found(refund: Refund, found: list[RefundInfo], now: datetime | None = None) -> str:
    """What the gateway holds for a stale refund (its refunds whose metadata names this
    one): recorded as its answer; nothing: sent again from now. Idempotent."""
    if refund.status is not RefundStatus.STARTED:
        return refund.status.value
    if found:
        return record_refund(refund, next((r for r in found if not r.failed), found[0]), now)
    refund.sent_at = now or utcnow()
    return NOT_AT_GATEWAY


def transfer_found(payout: Payout, found: list[TransferInfo],
                   now: datetime | None = None) -> str:
    """What the gateway holds for a stale transfer (the account's transfers whose metadata
    names this payout): recorded, the payout paid; nothing: sent again from now."""
    if payout.status is not PayoutStatus.STARTED:
        return payout.status.value
    if found:
        record_transfer(payout, found[0].id)
        return payout.status.value
    payout.sent_at = now or utcnow()
    return NOT_AT_GATEWAY
