"""The numbers behind the charts, and their geometry. Templates draw them as inline SVG
(``_macros/charts.html``): no scripts, readable on a phone, each with its numbers as a
table for screen readers (and anyone who prefers numbers).

All charts count what the campaign's totals count (``COUNTED_STATUSES``), so the public
chart ends exactly at the pledged total shown next to it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _, reader_locale
from crowdfund.money import Money
from crowdfund.pledges.models import COUNTED_STATUSES, Pledge
from crowdfund.pledges.summary import per_day

#: The SVG's coordinate box; text is in the same units, so at phone width it is 1:1.
#: The left margin holds the y axis's values.
WIDTH, HEIGHT = 320, 180
LEFT, RIGHT, TOP, BOTTOM = 46, 312, 14, 150
#: Something that is not nothing stays visible: at least this high above the axis.
MIN_VISIBLE = 2.0
#: The width of a digit of the axis's 11-unit labels (0.64 em: the widest common sans-serif
#: digits); a separator is half as wide. The axis moves right of its widest label.
DIGIT_WIDTH = 7.0


@dataclass(frozen=True)
class Day:
    day: date
    value: int  # that day's pledged minor units (or count)
    total: int  # running total up to and including the day
    x: float
    width: float
    bar_y: float
    line_y: float

    @property
    def bar_height(self) -> float:
        return BOTTOM - self.bar_y


@dataclass(frozen=True)
class DailyChart:
    """Bars per day and the running total as a line, against the goal when there is one."""

    days: list[Day]
    currency: str | None  # None: the values are counts
    goal: int | None
    goal_y: float | None
    scale_max: int
    left: float = LEFT  # where the y axis is: right of its widest label

    @property
    def total(self) -> int:
        return self.days[-1].total if self.days else 0

    @property
    def line_points(self) -> str:
        return " ".join(f"{d.x + d.width / 2:.1f},{d.line_y:.1f}" for d in self.days)

    def fmt(self, value: int) -> Money | int:
        return Money(value, self.currency) if self.currency else value

    @property
    def ticks(self) -> list[tuple[int, float]]:
        """The y axis's values and heights: 0 and round steps up to the scale."""
        span = BOTTOM - TOP
        return [(v, BOTTOM - span * v / self.scale_max) for v in _tick_values(self.scale_max)]

    @property
    def middle(self) -> float:
        return (self.left + RIGHT) / 2

    @property
    def one_day(self) -> bool:
        return len(self.days) == 1


def _tick_values(scale: int) -> range:
    return range(0, scale + 1, _round_step(scale / 3))


def _axis_left(scale: int, currency: str | None) -> float:
    """The y axis's x, so that its widest label ("$10,000", "CHF 150,000") is whole on the
    left of it (at least ``LEFT``)."""
    locale = reader_locale()
    labels = [Money(v, currency).format(locale, whole=True) if currency else str(v)
              for v in _tick_values(scale)]
    widest = max(DIGIT_WIDTH * (len(text) - (text.count(",") + text.count(".")) / 2)
                 for text in labels)
    return max(float(LEFT), float(math.ceil(widest + 6)))


def _round_step(raw: float) -> int:
    """1, 2 or 5 times a power of ten, at least ``raw`` (and at least 1)."""
    power = 1
    while power * 10 <= raw:
        power *= 10
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return max(1, power * factor)
    return max(1, power * 10)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    amount: Money
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars (one per label), by amount pledged, with counts."""

    bars: list[Bar]
    height: int

    @property
    def total(self) -> Money | None:
        if not self.bars:
            return None
        out = self.bars[0].amount
        for bar in self.bars[1:]:
            out = out + bar.amount
        return out


def _counted(campaign: Campaign):
    return sa.select(Pledge).where(Pledge.campaign_id == campaign.id,
                                   Pledge.status.in_(COUNTED_STATUSES))


def _daily(values: dict[date, int], first: date, last: date, currency: str | None,
           goal: int | None) -> DailyChart:
    n = (last - first).days + 1
    running, totals = 0, []
    for i in range(n):
        running += values.get(first + timedelta(days=i), 0)
        totals.append(running)
    biggest_day = max(values.values(), default=0)
    scale = max([running, goal or 0, biggest_day, 1])
    scale += scale // 10  # headroom above the goal line
    span = BOTTOM - TOP
    left = _axis_left(scale, currency)
    step = (RIGHT - left) / n

    def y(value: int) -> float:
        height = span * value / scale
        if value > 0:  # a small amount is still more than none
            height = max(height, MIN_VISIBLE)
        return BOTTOM - height

    days = []
    for i in range(n):
        day = first + timedelta(days=i)
        days.append(Day(day, values.get(day, 0), totals[i], left + i * step,
                        max(step * 0.8, 0.5), y(values.get(day, 0)), y(totals[i])))
    return DailyChart(days, currency, goal, y(goal) if goal else None, scale, left)


def _span(campaign: Campaign, stamps: list[date]) -> tuple[date, date] | None:
    if campaign.launched_at is None and not stamps:
        return None
    first = campaign.launched_at.date() if campaign.launched_at else min(stamps)
    end = min(utcnow(), campaign.deadline) if campaign.deadline else utcnow()
    last = max([end.date(), first, *stamps])
    return first, last


def funding_chart(campaign: Campaign) -> DailyChart | None:
    """Pledged per day (by the day each pledge was made) and the running total vs the goal."""
    values = per_day(campaign.id)  # kept as pledges change (pledges.summary)
    span = _span(campaign, list(values))
    if span is None:
        return None
    return _daily(values, *span, campaign.currency, campaign.goal_minor)


def pledges_per_day(campaign: Campaign) -> DailyChart | None:
    """For the founder: how many pledges were made each day."""
    values = per_day(campaign.id, count=True)
    span = _span(campaign, list(values))
    if span is None:
        return None
    return _daily(values, *span, None, None)


def _bars(rows: list[tuple[str, int, int]], currency: str) -> BarChart:
    biggest = max((amount for _, _, amount in rows), default=0) or 1
    bars = [Bar(label, count, Money(amount, currency), 6 + i * 34,
                max(2.0, (RIGHT - LEFT) * amount / biggest))
            for i, (label, count, amount) in enumerate(rows)]
    return BarChart(bars, 6 + len(rows) * 34)


def by_tier(campaign: Campaign) -> BarChart:
    found = {tier_id: (count, amount) for tier_id, count, amount in db.session.execute(
        _counted(campaign).with_only_columns(
            Pledge.tier_id, sa.func.count(), sa.func.sum(Pledge.amount_minor))
        .group_by(Pledge.tier_id))}
    tiers = db.session.scalars(sa.select(RewardTier).where(
        RewardTier.campaign_id == campaign.id).order_by(RewardTier.position, RewardTier.id))
    rows = [(tier.title, *found.get(tier.id, (0, 0))) for tier in tiers]
    if None in found:
        rows.append((_("No reward"), *found[None]))
    return _bars([(label, int(c), int(a or 0)) for label, c, a in rows], campaign.currency)


def by_source(campaign: Campaign) -> BarChart:
    """By the ``?ref=`` tag of the link the backer came from ("direct" without one)."""
    rows: OrderedDict[str, tuple[int, int]] = OrderedDict()
    for ref, count, amount in db.session.execute(
            _counted(campaign).with_only_columns(
                Pledge.ref, sa.func.count(), sa.func.sum(Pledge.amount_minor))
            .group_by(Pledge.ref).order_by(sa.func.sum(Pledge.amount_minor).desc())):
        # TRANSLATORS: a referral source: the backer came without a ?ref= tag in the link
        rows[ref or _("direct")] = (int(count), int(amount or 0))
    return _bars([(label, c, a) for label, (c, a) in rows.items()], campaign.currency)
