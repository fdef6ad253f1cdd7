"""Saved cards of pledges that ended uncharged, detached at the gateway: a step of its own,
resumable, recorded per pledge (docs/money.md#saved-cards-after-a-pledge-ends).

A pledge released (its campaign failed, was cancelled or suspended, or an offering was
oversubscribed), cancelled (by its backer, or an investment not reconfirmed) or dropped
(unpaid after its fix window) keeps its saved card at the gateway until this step detaches
it. Which cards are still to detach is read from the pledges themselves
(``card_detached_at`` null: a partial index), so however a pledge ended and whatever was
killed when, the next settle pass finds them again:

1. :func:`claim`: a conditional UPDATE takes the due cards of a small group (each try
   counted, a lease set), committed before any call: two runners never send the same card;
2. the detach call, under the rate budget, with no transaction open;
3. :func:`record`: detached, or found detached already -> done; any other answer -> tried
   again after a wait doubled per try (``CARD_DETACH_BACKOFF`` up to
   ``CARD_DETACH_BACKOFF_MAX``), and shown on the settlement console once it has failed
   ``CARD_DETACH_STUCK_AFTER`` times.

A card that another pledge of the same backer still uses (open, or its payment still to
fix) is not detached: that pledge detaches it if it ends uncharged too.

These change rows and never commit; the runner (``runner.py``, ``detaching.py``) owns the
transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.payments.gateway import InvalidRequest, PaymentError
from crowdfund.pledges.models import CARD_TO_DETACH_WHERE, CARD_USING_STATUSES, Pledge
from crowdfund.supervision import record_failure

#: The loop's name where operators see its stuck items ("Background work that failed").
DETACH_CARD = "detach card"
#: The gateway's codes for a card that is not attached to anybody any more (or is gone):
#: nothing left to do.
NOT_ATTACHED = frozenset({"payment_method_unexpected_state", "resource_missing"})
DETACHED, NOT_THERE, KEPT, FAILED = ("card detached", "card not attached",
                                     "card kept (another pledge uses it)",
                                     "card detach failed")


def _to_detach() -> sa.ColumnElement[bool]:
    """Pledges whose saved card is still to detach: the partial index's own words, so that
    both databases use it (only the ``pledges`` table may be in the query's FROM)."""
    return sa.text(CARD_TO_DETACH_WHERE)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(_to_detach(), sa.or_(Pledge.card_detach_retry_at.is_(None),
                                        Pledge.card_detach_retry_at <= now))


def campaigns_due(now: datetime | None = None) -> sa.Select:
    """The ids of campaigns with a saved card to detach now (a subquery for the settle
    pass: such a campaign stays due until its cards are done, whatever its status)."""
    return sa.select(Pledge.campaign_id).where(_due(now or utcnow())).distinct()


def pledge_ids_to_detach(campaign_id: int, after_id: int, limit: int,
                         through_id: int | None = None,
                         now: datetime | None = None) -> list[int]:
    """Pledges of a campaign whose card is due for detaching, in id order from
    ``after_id`` (up to ``through_id``)."""
    stmt = sa.select(Pledge.id).where(Pledge.campaign_id == campaign_id,
                                      _due(now or utcnow()), Pledge.id > after_id)
    if through_id is not None:
        stmt = stmt.where(Pledge.id <= through_id)
    return list(db.session.scalars(stmt.order_by(Pledge.id).limit(limit)))


def count_to_detach(campaign_id: int) -> int:
    """A campaign's saved cards still to detach, due now or later (``--dry-run``)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Pledge).where(
        Pledge.campaign_id == campaign_id, _to_detach())) or 0


@dataclass(frozen=True)
class CardToDetach:
    """A claimed card: its pledge, the card, and the tries so far (this one included)."""

    pledge_id: int
    payment_method_id: str
    attempts: int


@dataclass
class Claimed:
    """What :func:`claim` took: the cards to detach, and how many were kept."""

    cards: list[CardToDetach] = field(default_factory=list)
    kept: int = 0


def claim(pledge_ids: list[int], now: datetime | None = None) -> Claimed:
    """Step 1 for a group: the due cards of these pledges claimed by one conditional UPDATE
    (a lease of ``CARD_DETACH_LEASE``, the try counted); a pledge another runner claimed
    meanwhile is left out. A card that another pledge of the same backer still uses is
    marked done ("kept") instead of being detached."""
    now = now or utcnow()
    if not pledge_ids:
        return Claimed()
    rows = db.session.execute(
        sa.update(Pledge).where(Pledge.id.in_(pledge_ids), _due(now))
        .values(card_detach_retry_at=now + current_app.config["CARD_DETACH_LEASE"],
                card_detach_attempts=Pledge.card_detach_attempts + 1)
        .returning(Pledge.id, Pledge.backer_id, Pledge.payment_method_id,
                   Pledge.card_detach_attempts)
        .execution_options(synchronize_session=False)).all()
    if not rows:
        return Claimed()
    using = {(row.backer_id, row.payment_method_id): row.id for row in db.session.execute(
        sa.select(Pledge.id, Pledge.backer_id, Pledge.payment_method_id).where(
            Pledge.backer_id.in_({row.backer_id for row in rows}),
            Pledge.payment_method_id.in_({row.payment_method_id for row in rows}),
            Pledge.status.in_(CARD_USING_STATUSES)))}
    claimed = Claimed()
    for row in sorted(rows, key=lambda row: row.id):
        user = using.get((row.backer_id, row.payment_method_id))
        if user is None:
            claimed.cards.append(CardToDetach(row.id, row.payment_method_id,
                                              row.card_detach_attempts))
        else:
            _done([row.id], now, f"Kept: pledge {user} still uses this card")
            claimed.kept += 1
    return claimed


def _done(pledge_ids: list[int], now: datetime, note: str) -> None:
    """Cards done; the card reference of a closed account's pledge is erased now (closing
    kept it only until the card was detached: ``pledges/privacy.py``)."""
    if pledge_ids:
        db.session.execute(
            sa.update(Pledge).where(Pledge.id.in_(pledge_ids), Pledge.card_detached_at.is_(None))
            .values(card_detached_at=now, card_detach_retry_at=None, card_detach_note=note)
            .execution_options(synchronize_session=False))
        db.session.execute(
            sa.update(Pledge).where(Pledge.id.in_(pledge_ids), Pledge.backer_id.in_(
                sa.select(User.id).where(User.closed_at.is_not(None))))
            .values(payment_method_id=None).execution_options(synchronize_session=False))


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try."""
    config = current_app.config
    first, longest = config["CARD_DETACH_BACKOFF"], config["CARD_DETACH_BACKOFF_MAX"]
    return min(first * 2 ** min(max(attempts - 1, 0), 30), longest)


def record(answers: dict[CardToDetach, PaymentError | None],
           now: datetime | None = None) -> dict[int, str]:
    """Step 3 for claimed cards (``{card: None when detached, else the gateway's error}``).
    Returns ``{pledge id: outcome}``: DETACHED, NOT_THERE or FAILED. A failure waits
    :func:`backoff` before its next try; from the ``CARD_DETACH_STUCK_AFTER``-th on it is
    recorded for the settlement console."""
    now = now or utcnow()
    outcomes: dict[int, str] = {}
    stuck_after = current_app.config["CARD_DETACH_STUCK_AFTER"]
    for card, error in answers.items():
        if error is None:
            outcomes[card.pledge_id] = DETACHED
        elif isinstance(error, InvalidRequest) and error.code in NOT_ATTACHED:
            outcomes[card.pledge_id] = NOT_THERE
        else:
            outcomes[card.pledge_id] = FAILED
            db.session.execute(
                sa.update(Pledge).where(Pledge.id == card.pledge_id,
                                        Pledge.card_detached_at.is_(None))
                .values(card_detach_retry_at=now + backoff(card.attempts),
                        card_detach_note=f"{type(error).__name__}: {error}"[:300])
                .execution_options(synchronize_session=False))
            if card.attempts >= stuck_after:
                record_failure(DETACH_CARD, card.pledge_id, error)
    _done([p for p, outcome in outcomes.items() if outcome == DETACHED], now, "Detached")
    _done([p for p, outcome in outcomes.items() if outcome == NOT_THERE], now,
          "Not attached at the gateway any more")
    return outcomes


@dataclass(frozen=True)
class CardsLeft:
    """A campaign's saved cards still to detach (the settlement console)."""

    campaign_id: int
    left: int
    stuck: int
    next_try_at: datetime | None


def left_by_campaign(limit: int = 100) -> list[CardsLeft]:
    """Campaigns with saved cards still to detach: how many, how many are stuck, and when
    the next is tried; the most stuck first."""
    stuck = sa.func.sum(sa.case(
        (Pledge.card_detach_attempts >= current_app.config["CARD_DETACH_STUCK_AFTER"], 1),
        else_=0))
    rows = db.session.execute(
        sa.select(Pledge.campaign_id, sa.func.count(), stuck,
                  sa.func.min(Pledge.card_detach_retry_at))
        .where(_to_detach()).group_by(Pledge.campaign_id)
        .order_by(stuck.desc(), sa.func.count().desc()).limit(limit)).all()
    return [CardsLeft(campaign_id, int(count), int(stuck or 0), next_try)
            for campaign_id, count, stuck, next_try in rows]
