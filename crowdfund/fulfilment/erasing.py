"""Shipping addresses and survey answers are kept only as long as delivery needs them
(docs/domain.md#how-long-an-address-is-kept): each survey carries the moment it is to be
erased (``erase_after``: the deadline + FULFILMENT_ADDRESS_MAX_RETENTION, brought forward
to the tier's delivery + FULFILMENT_ADDRESS_RETENTION, or to now by a full refund), and
the erase job empties the surveys past it.

The job goes in batches of FULFILMENT_ERASE_BATCH surveys, each committed: the rows still
to erase are marked by their own ``erase_after`` and ``erased_at``, so a job killed midway
leaves only whole batches done, and the next run (the jobs pass, or ``flask fulfilment
erase``) takes the rest. The row stays, saying when it was erased.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.fulfilment.addresses import FIELDS
from crowdfund.fulfilment.models import Survey, SurveyAnswer

#: What an erased survey holds in place of each address field.
ERASED = dict.fromkeys(FIELDS)


def due_ids(now: datetime, batch: int) -> list[int]:
    """The next surveys past their erasure, oldest id first."""
    return list(db.session.scalars(sa.select(Survey.id).where(
        Survey.erased_at.is_(None), Survey.erase_after <= now).order_by(Survey.id)
        .limit(batch)))


def erase_batch(ids: list[int], now: datetime) -> int:
    """Empty these surveys (those not erased yet); returns how many."""
    db.session.execute(sa.delete(SurveyAnswer).where(SurveyAnswer.survey_id.in_(ids)))
    return db.session.execute(sa.update(Survey).where(
        Survey.id.in_(ids), Survey.erased_at.is_(None)).values(**ERASED, erased_at=now)
        .execution_options(synchronize_session=False)).rowcount


def erase_due(now: datetime | None = None, batch: int | None = None) -> int:
    """The erase job: every survey past its erasure, a committed batch at a time. Returns
    how many were erased."""
    now = now or utcnow()
    batch = batch or current_app.config["FULFILMENT_ERASE_BATCH"]
    erased = 0
    while ids := due_ids(now, batch):
        erased += erase_batch(ids, now)
        db.session.commit()
    db.session.commit()
    return erased


def erase_soon(pledge_id: int, now: datetime | None = None) -> None:
    """The pledge was refunded in full: its survey is erased by the next job."""
    db.session.execute(sa.update(Survey).where(
        Survey.pledge_id == pledge_id, Survey.erased_at.is_(None))
        .values(erase_after=now or utcnow()).execution_options(synchronize_session=False))


def schedule_after_delivery(tier_id: int, delivered_at: datetime) -> None:
    """The tier was delivered: its surveys are erased FULFILMENT_ADDRESS_RETENTION later
    (or at their earlier date)."""
    when = delivered_at + current_app.config["FULFILMENT_ADDRESS_RETENTION"]
    db.session.execute(sa.update(Survey).where(
        Survey.tier_id == tier_id, Survey.erased_at.is_(None),
        sa.or_(Survey.erase_after.is_(None), Survey.erase_after > when))
        .values(erase_after=when).execution_options(synchronize_session=False))


def erase_person(user: User, now: datetime | None = None) -> None:
    """Closing an account: every survey of the person, at once (by their id)."""
    ids = list(db.session.scalars(sa.select(Survey.id).where(Survey.backer_id == user.id)))
    if ids:
        erase_batch(ids, now or utcnow())
