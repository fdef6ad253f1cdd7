"""What a campaign's pledges add up to, kept per UTC day as the pledges change, so that
no page adds up the pledges themselves (docs/performance.md#maintained-totals).

One ``campaign_day_totals`` row per campaign, UTC day of the pledges' making, status and
lateness: how many, their amount, how many were refunded and how much. A campaign's
totals are a sum over its rows (a few per day of its life, however many pledges), its
funding chart is its counted rows by day, a funded campaign's outcome its rows by status.

Every change of a pledge moves its rows by the difference, in the same transaction:
- through the ORM (a pledge added, its status, amount, refund, lateness or day changed,
  deleted): the session's ``after_flush`` reads each pledge's history;
- through ``pledge_states.apply_many`` (a bulk transition of thousands at once): its
  ``after_many`` hook (``moved_many``) adds up the changed rows in one query.
The changes are written when the transaction commits (below), each as ``INSERT ... ON
CONFLICT DO UPDATE SET x = x + change``: atomic on both databases, so two confirmations
at once both count (no read-then-write), in key order, so two transactions never wait for
each other in turns. A plain SQL UPDATE of a pledge's status or amount would bypass both:
there is none in the code, and the test suite checks after every test that the rows equal
the pledges (``mismatches``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from crowdfund.db import add_sums, flushed_rows, str_enum, utc_day
from crowdfund.extensions import db
from crowdfund.pledges.models import COUNTED_STATUSES, Pledge, PledgeStatus


class CampaignDayTotal(db.Model):
    """A campaign's pledges made on one UTC day that are now in one status (late or on
    time): how many, their amount, what was refunded of them and from how many."""

    __tablename__ = "campaign_day_totals"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    status: Mapped[PledgeStatus] = mapped_column(str_enum(PledgeStatus), primary_key=True)
    late: Mapped[bool] = mapped_column(primary_key=True)
    pledges: Mapped[int] = mapped_column(default=0)
    pledged_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_pledges: Mapped[int] = mapped_column(default=0)
    refunded_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)


Key = tuple[int, date, PledgeStatus, bool]
#: Pending pledges (a card not confirmed yet) are in no row: nothing reads them, and
#: starting a pledge (the launch rush on a limited reward) then writes no kept row.
KEPT_STATUSES = frozenset(PledgeStatus) - {PledgeStatus.PENDING}
#: The columns a pledge's bucket and its part in it come from.
NAMES = ("campaign_id", "created_at", "status", "late", "amount_minor", "refunded_minor")
#: What a bucket adds up, in the order of ``_part``.
SUMS = ("pledges", "pledged_minor", "refunded_pledges", "refunded_minor")


def _day(stamp: datetime) -> date:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    return stamp.date()


def _part(campaign_id, created_at, status, late, amount, refunded):
    """A pledge's bucket and what it adds to it; None for a row not yet whole."""
    if None in (campaign_id, created_at, status, amount) or status not in KEPT_STATUSES:
        return None
    refunded = refunded or 0
    return ((campaign_id, _day(created_at), status, bool(late)),
            (1, amount, int(refunded > 0), refunded))


def _after_flush(session: Session, _context) -> None:
    changes: dict[Key, list[int]] = {}
    for before, after in flushed_rows(session, Pledge, NAMES):
        for values, sign in ((before, -1), (after, 1)):
            if values is not None and (part := _part(*values)) is not None:
                add_sums(changes, *part, sign)
    _keep(session, changes)


def _sum_columns() -> tuple:
    """``SUMS`` as aggregates over the pledges, in their order."""
    return (sa.func.count(), sa.func.sum(Pledge.amount_minor),
            sa.func.count().filter(Pledge.refunded_minor > 0),
            sa.func.sum(Pledge.refunded_minor))


def moved_many(ids: list[int], from_status, to_status) -> None:
    """``pledge_states.apply_many``'s hook: ``ids`` went from ``from_status`` to
    ``to_status`` by one UPDATE; their buckets follow, added up by the database."""
    if not ids or from_status == to_status:
        return
    day = utc_day(Pledge.created_at)
    changes: dict[Key, list[int]] = {}
    for start in range(0, len(ids), 5000):
        for campaign_id, on, late, *sums in db.session.execute(
                sa.select(Pledge.campaign_id, day, Pledge.late, *_sum_columns())
                .where(Pledge.id.in_(ids[start:start + 5000]))
                .group_by(Pledge.campaign_id, day, Pledge.late)):
            sums = tuple(int(v or 0) for v in sums)
            for status, sign in ((from_status, -1), (to_status, 1)):
                if status in KEPT_STATUSES:
                    add_sums(changes, (campaign_id, _as_date(on), status, bool(late)), sums,
                             sign)
    _keep(db.session(), changes)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# -- written once, when the transaction commits ------------------------------------------
#
# Changes wait in ``session.info`` under the (innermost) transaction that made them: a
# savepoint that is rolled back (one failed item of a loop) takes its changes with it, one
# that is released hands them to its parent, and the outermost commit writes them all,
# one upsert per bucket, just before the database commits. Each bucket row is then held
# for the commit only, not from the first change to the end of a long batch.

PENDING, RELEASED = "kept_day_totals", "kept_day_totals_released"


def _keep(session: Session, changes: dict[Key, list[int]]) -> None:
    if changes:
        _keep_under(session, _real(session._transaction), changes)


def _real(transaction):
    """The savepoint or outermost transaction a change belongs to (a flush runs in a
    subtransaction of its own, which is neither)."""
    while transaction._parent is not None and not transaction.nested:
        transaction = transaction._parent
    return transaction


def _released(session: Session) -> None:
    """after_commit: a savepoint released (its changes go to its parent when it ends)."""
    transaction = session._transaction
    if transaction is not None and transaction.nested:
        session.info.setdefault(RELEASED, set()).add(transaction)


def _ended(session: Session, transaction) -> None:
    """after_transaction_end: a released savepoint's changes join its parent's; a rolled
    back one's, and whatever the outermost leaves, are dropped."""
    pending = session.info.get(PENDING)
    released = session.info.get(RELEASED, set())
    was_released = transaction in released
    released.discard(transaction)
    if not pending or transaction not in pending:
        return
    changes = pending.pop(transaction)
    if transaction.nested and was_released and transaction._parent is not None:
        _keep_under(session, transaction._parent, changes)


def _keep_under(session: Session, transaction, changes: dict[Key, list[int]]) -> None:
    pending = session.info.setdefault(PENDING, {}).setdefault(transaction, {})
    for key, sums in changes.items():
        add_sums(pending, key, sums)


def _before_commit(session: Session) -> None:
    """before_commit of the outermost transaction: flush what is left, write every change
    kept under it (and under savepoints it commits with it)."""
    transaction = session._transaction
    if transaction is None or transaction.nested:
        return
    session.flush()
    everything = own_changes(session)
    session.info.pop(PENDING, None)
    rows = [{"campaign_id": k[0], "day": k[1], "status": k[2], "late": k[3],
             **dict(zip(SUMS, sums, strict=True))}
            for k, sums in sorted(everything.items(),
                                  key=lambda kv: (kv[0][0], kv[0][1], kv[0][2].value, kv[0][3]))
            if any(sums)]
    if rows:
        session.connection().execute(_upsert(session.get_bind().dialect.name), rows)


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    """INSERT a bucket, or add to it: ``n = n + change`` for every sum (built once)."""
    table = CampaignDayTotal.__table__
    insert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    return insert.on_conflict_do_update(
        index_elements=["campaign_id", "day", "status", "late"],
        set_={name: table.c[name] + insert.excluded[name] for name in SUMS})


sa.event.listen(Session, "after_flush", _after_flush)
sa.event.listen(Session, "after_commit", _released)
sa.event.listen(Session, "after_transaction_end", _ended)
sa.event.listen(Session, "before_commit", _before_commit)


# -- reading ----------------------------------------------------------------------------


def summed(campaign_ids: Iterable[int] | sa.Select,
           statuses: Iterable[PledgeStatus] = COUNTED_STATUSES) -> sa.Select:
    """Per campaign: ``campaign_id``, ``pledged_minor`` and ``backers`` (how many pledges:
    while a campaign runs each backer has one counted) of its pledges in ``statuses``,
    from the day rows (one per day of its life and status)."""
    return (sa.select(CampaignDayTotal.campaign_id.label("campaign_id"),
                      sa.func.sum(CampaignDayTotal.pledged_minor).label("pledged_minor"),
                      sa.func.sum(CampaignDayTotal.pledges).label("backers"))
            .where(CampaignDayTotal.campaign_id.in_(campaign_ids),
                   CampaignDayTotal.status.in_(list(statuses)))
            .group_by(CampaignDayTotal.campaign_id))


def totals_by_campaign(campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{campaign: (pledged minor units, counted pledges)}`` of ``summed``, with what
    this session changed and has not committed yet (it reads its own writes)."""
    found = {row.campaign_id: [int(row.pledged_minor), int(row.backers)]
             for row in db.session.execute(summed(campaign_ids))} if campaign_ids else {}
    for (campaign_id, _day, status, _late), sums in own_changes().items():
        if campaign_id in campaign_ids and status in COUNTED_STATUSES:
            held = found.setdefault(campaign_id, [0, 0])
            held[0] += sums[1]
            held[1] += sums[0]
    return {cid: (pledged, count) for cid, (pledged, count) in found.items()}


def per_day(campaign_id: int, *, count: bool = False) -> dict[date, int]:
    """The campaign's counted pledges per UTC day: their amount, or how many."""
    column = CampaignDayTotal.pledges if count else CampaignDayTotal.pledged_minor
    days = {_as_date(d): int(v) for d, v in db.session.execute(
        sa.select(CampaignDayTotal.day, sa.func.sum(column))
        .where(CampaignDayTotal.campaign_id == campaign_id,
               CampaignDayTotal.status.in_(list(COUNTED_STATUSES)))
        .group_by(CampaignDayTotal.day))}
    for (cid, day, status, _late), sums in own_changes().items():
        if cid == campaign_id and status in COUNTED_STATUSES:
            days[day] = days.get(day, 0) + sums[0 if count else 1]
    return {day: value for day, value in days.items() if value}


def buckets_of(campaign_id: int) -> dict[tuple[PledgeStatus, bool], list[int]]:
    """The campaign's ``SUMS`` by status and lateness (all its days together), with this
    session's own changes: one read for everything a page shows of it."""
    found: dict[tuple[PledgeStatus, bool], list[int]] = {}
    for status, late, *sums in db.session.execute(
            sa.select(CampaignDayTotal.status, CampaignDayTotal.late,
                      *(sa.func.sum(CampaignDayTotal.__table__.c[name]) for name in SUMS))
            .where(CampaignDayTotal.campaign_id == campaign_id)
            .group_by(CampaignDayTotal.status, CampaignDayTotal.late)):
        add_sums(found, (status, bool(late)), [int(v or 0) for v in sums])
    for (cid, _day, status, late), sums in own_changes().items():
        if cid == campaign_id:
            add_sums(found, (status, late), sums)
    return found


def sums_of(campaign_id: int, *, statuses: Iterable[PledgeStatus] | None = None,
            late: bool | None = None, buckets: dict | None = None) -> dict[str, int]:
    """``SUMS`` (pledges, pledged_minor, refunded_pledges, refunded_minor) over the
    campaign's pledges in ``statuses`` (all when None), late or on time (both: None);
    from ``buckets`` (``buckets_of``) when the caller read them already."""
    chosen = None if statuses is None else frozenset(statuses)
    found = [0, 0, 0, 0]
    for (status, is_late), sums in (buckets_of(campaign_id) if buckets is None
                                    else buckets).items():
        if (chosen is None or status in chosen) and (late is None or is_late == late):
            found = [a + b for a, b in zip(found, sums, strict=True)]
    return dict(zip(SUMS, found, strict=True))


def own_changes(session: Session | None = None) -> dict[Key, list[int]]:
    """What this session changed and will write when it commits (read after the query
    that flushed it): so that a transaction reads its own writes."""
    everything: dict[Key, list[int]] = {}
    for changes in (session or db.session()).info.get(PENDING, {}).values():
        for key, sums in changes.items():
            add_sums(everything, key, sums)
    return everything


# -- rebuilding and checking ------------------------------------------------------------


def _from_pledges(campaign_ids: list[int] | None = None) -> sa.Select:
    day = utc_day(Pledge.created_at)
    stmt = (sa.select(Pledge.campaign_id, day.label("day"), Pledge.status, Pledge.late,
                      *_sum_columns())
            .where(Pledge.status != PledgeStatus.PENDING)
            .group_by(Pledge.campaign_id, day, Pledge.status, Pledge.late))
    if campaign_ids is not None:
        stmt = stmt.where(Pledge.campaign_id.in_(campaign_ids))
    return stmt


def rebuild(campaign_ids: Iterable[int] | None = None) -> None:
    """Write the day rows again from the pledges (all campaigns, or these): for data
    written around the ORM (bulk loads, benchmarks). Not for a running site: a pledge
    changed meanwhile could be counted twice."""
    ids = None if campaign_ids is None else list(campaign_ids)
    delete = sa.delete(CampaignDayTotal)
    if ids is not None:
        delete = delete.where(CampaignDayTotal.campaign_id.in_(ids))
    db.session.execute(delete)
    db.session.execute(sa.insert(CampaignDayTotal).from_select(
        ["campaign_id", "day", "status", "late", *SUMS], _from_pledges(ids)))


def mismatches(campaign_ids: Iterable[int] | None = None) -> list[tuple]:
    """``(bucket, kept, counted from the pledges)`` wherever the day rows differ from the
    pledges: empty when every change was followed."""
    ids = None if campaign_ids is None else list(campaign_ids)
    expected = {(cid, _as_date(d), status, bool(late)): tuple(int(v or 0) for v in sums)
                for cid, d, status, late, *sums in db.session.execute(_from_pledges(ids))}
    kept_stmt = sa.select(CampaignDayTotal.campaign_id, CampaignDayTotal.day,
                          CampaignDayTotal.status, CampaignDayTotal.late,
                          *(CampaignDayTotal.__table__.c[name] for name in SUMS))
    if ids is not None:
        kept_stmt = kept_stmt.where(CampaignDayTotal.campaign_id.in_(ids))
    kept = {(cid, _as_date(d), status, bool(late)): tuple(int(v) for v in sums)
            for cid, d, status, late, *sums in db.session.execute(kept_stmt) if any(sums)}
    return [(key, kept.get(key), expected.get(key))
            for key in sorted(set(kept) | set(expected), key=str)
            if kept.get(key) != expected.get(key)]
