"""Discovery: live campaigns filtered, searched and sorted, and how many per category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.queries import CARD_LOADS
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.pledges.totals import totals_subquery

SORTS = {
    "newest": _l("Newest"),
    "ending": _l("Ending soon"),
    "funded": _l("Most funded"),
}


#: What Discover can show: live campaigns, funded ones, or every one that has ended.
STAGES = {"live": _l("Live"), "funded": _l("Funded"), "ended": _l("Ended")}
_FINISHED = (CampaignStatus.FUNDED, CampaignStatus.COLLECTING, CampaignStatus.SETTLED)


def _stage(stage: str, now: datetime) -> tuple:
    if stage == "funded":
        return (Campaign.status.in_(_FINISHED),)
    if stage == "ended":
        return (Campaign.status.in_((*_FINISHED, CampaignStatus.FAILED)),
                Campaign.deadline <= now)
    return (Campaign.status == CampaignStatus.LIVE, Campaign.deadline > now)


def _filtered(*, q: str | None, category: str | None, kind: CampaignKind | None,
              stage: str, now: datetime, ends_within: timedelta | None = None):
    """(SELECT of campaigns at ``stage`` with the filters, the stage's conditions)."""
    live = _stage(stage, now)
    if ends_within is not None:
        live = (*live, Campaign.deadline <= now + ends_within)
    stmt = (sa.select(Campaign).join(User, Campaign.founder_id == User.id).where(*live)
            .options(*CARD_LOADS))
    if category:
        stmt = stmt.where(Campaign.category == category)
    if kind is not None:  # rewards or equity offerings only
        stmt = stmt.where(Campaign.kind == kind)
    if q:
        words = [w for w in q.split() if w][:6]
        for word in words:
            like = f"%{_escape_like(word.lower())}%"
            stmt = stmt.where(
                sa.or_(
                    sa.func.lower(Campaign.title).like(like, escape="\\"),
                    sa.func.lower(Campaign.blurb).like(like, escape="\\"),
                    sa.func.lower(User.display_name).like(like, escape="\\"),
                )
            )
    return stmt, live


def _sort_keys(stmt, sort: str, live: tuple) -> tuple[sa.Select, list[tuple]]:
    """``stmt`` joined to what ``sort`` needs, and its sort keys: (expression, ascending)."""
    if sort == "ending":
        return stmt, [(Campaign.deadline, True), (Campaign.id, True)]
    if sort == "funded":
        # Percentage of goal, so that currencies and sizes compare fairly; the totals of
        # the campaigns at that stage only.
        sub = totals_subquery(sa.select(Campaign.id).where(*live))
        pledged = sa.func.coalesce(sub.c.pledged_minor, 0)
        stmt = stmt.outerjoin(sub, sub.c.campaign_id == Campaign.id)
        percent = sa.cast(pledged * 10000 // Campaign.goal_minor, sa.BigInteger)
        return stmt, [(percent, False),
                      (Campaign.launched_at, False), (Campaign.id, True)]
    return stmt, [(Campaign.launched_at, False), (Campaign.id, False)]


def discover(*, q: str | None = None, category: str | None = None, sort: str = "newest",
             page: int = 1, per_page: int | None = None, now: datetime | None = None,
             count: bool = True, kind: CampaignKind | None = None, stage: str = "live",
             ends_within: timedelta | None = None):
    """A page of campaigns at ``stage`` (live, funded, ended), filtered and sorted; returns
    a Flask-SQLAlchemy Pagination (``count=False``: no COUNT query, for lists that show
    no page numbers). ``ends_within``: only those whose deadline is that close."""
    now = now or utcnow()
    per_page = per_page or current_app.config["CAMPAIGNS_PER_PAGE"]
    stmt, live = _filtered(q=q, category=category, kind=kind, stage=stage, now=now,
                           ends_within=ends_within)
    stmt, keys = _sort_keys(stmt, sort, live)
    stmt = stmt.order_by(*(key if up else key.desc() for key, up in keys))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=count)


def discover_after(*, q: str | None = None, category: str | None = None,
                   sort: str = "newest", kind: CampaignKind | None = None,
                   stage: str = "live", after: list | None = None, limit: int = 20,
                   now: datetime | None = None) -> tuple[list[Campaign], list | None]:
    """``discover`` by keyset instead of page numbers (the API): the ``limit`` campaigns
    after the one whose sort values are ``after``, and the sort values of the last one
    returned when there may be more (None on the last page). The same filters and order;
    a page costs the same wherever it is in the list."""
    now = now or utcnow()
    stmt, live = _filtered(q=q, category=category, kind=kind, stage=stage, now=now)
    stmt, keys = _sort_keys(stmt, sort, live)
    if after is not None:
        stmt = stmt.where(_after(keys, after))
    stmt = stmt.add_columns(*(key.label(f"k{i}") for i, (key, _up) in enumerate(keys)))
    stmt = stmt.order_by(*(key if up else key.desc() for key, up in keys)).limit(limit + 1)
    rows = db.session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = list(rows[-1][1:]) if more and rows else None
    return [row[0] for row in rows], last


def _after(keys: list[tuple], values: list) -> sa.ColumnElement:
    """Rows after ``values`` in the order of ``keys``: (k0 beyond v0) or (k0 = v0 and k1
    beyond v1) or ..."""
    alternatives = []
    for i, (key, up) in enumerate(keys):
        equal = [k == v for (k, _up), v in zip(keys[:i], values[:i], strict=True)]
        beyond = key > values[i] if up else key < values[i]
        alternatives.append(sa.and_(*equal, beyond))
    return sa.or_(*alternatives)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def category_counts(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Campaign.category, sa.func.count())
        .where(Campaign.status == CampaignStatus.LIVE, Campaign.deadline > now)
        .group_by(Campaign.category)
    )
    return {category: count for category, count in rows}


#: Campaigns per home page section.
HOME_SECTION_SIZE = 4


@dataclass(frozen=True)
class HomePage:
    """What the home page shows: each campaign at most once."""

    picks: list[Campaign]
    sections: dict[str, list[Campaign]]  # "newest", "ending", "funded", in the page's order
    ending_days: int  # "Ending soon" means ending within this many days

    @property
    def campaigns(self) -> list[Campaign]:
        return [*self.picks, *(c for items in self.sections.values() for c in items)]


def home_page(now: datetime | None = None) -> HomePage:
    """The home page's sections. "Ending soon" chooses first: the live campaigns ending
    within ``ENDING_SOON_DAYS``, nearest first, so a campaign about to end is always there.
    Then staff picks, the newest and the most funded each take the first four not yet on
    the page from their first sixteen (more than the three sections before can hold: a
    section is empty only when every live campaign is already on the page). The same
    queries whatever the data."""
    now = now or utcnow()
    days = current_app.config["ENDING_SOON_DAYS"]
    size = HOME_SECTION_SIZE
    ending = discover(sort="ending", per_page=size, count=False, now=now,
                      ends_within=timedelta(days=days)).items
    shown = {c.id for c in ending}

    def first_not_shown(candidates) -> list[Campaign]:
        chosen = [c for c in candidates if c.id not in shown][:size]
        shown.update(c.id for c in chosen)
        return chosen

    picks = first_not_shown(db.session.scalars(
        sa.select(Campaign).where(*_stage("live", now), Campaign.staff_pick.is_(True))
        .order_by(Campaign.launched_at.desc(), Campaign.id.desc()).limit(2 * size)
        .options(*CARD_LOADS)))
    newest = first_not_shown(discover(sort="newest", per_page=4 * size, count=False,
                                      now=now).items)
    funded = first_not_shown(discover(sort="funded", per_page=4 * size, count=False,
                                      now=now).items)
    return HomePage(picks=picks, sections={"newest": newest, "ending": ending,
                                           "funded": funded}, ending_days=days)
