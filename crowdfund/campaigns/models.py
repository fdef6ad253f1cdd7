"""Campaigns, their reward tiers and shipping rates, budget lines and status history."""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.campaigns.categories import category_label
from crowdfund.campaigns.states import (
    EDITABLE_STATUSES,
    ENDED_STATUSES,
    FUNDING_MODEL_LABELS,
    LABELS,
    PUBLIC_STATUSES,
    CampaignKind,
    CampaignStatus,
    FundingModel,
)
from crowdfund.db import TimestampMixin, UTCDateTime, audit_row, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.forms import country_codes
from crowdfund.money import Money

#: Shipping destination code meaning "every country without its own rate".
REST_OF_WORLD = "ROW"


class Campaign(TimestampMixin, db.Model):
    """A founder's fundraising campaign, from draft to settlement."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("goal_minor > 0", name="goal_positive"),
        sa.CheckConstraint("duration_days >= 1 AND duration_days <= 60", name="duration_range"),
        sa.Index("ix_campaigns_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public address: /campaigns/<slug>; unique, changeable until launch.
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    founder_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[CampaignKind] = mapped_column(str_enum(CampaignKind), default=CampaignKind.REWARD)
    #: When backers are charged: all or nothing (only if the goal is reached) or flexible
    #: (whatever was pledged); chosen while the campaign can be edited, never flexible for
    #: equity (``campaigns.funding``).
    funding_model: Mapped[FundingModel] = mapped_column(
        str_enum(FundingModel), default=FundingModel.ALL_OR_NOTHING,
        server_default=FundingModel.ALL_OR_NOTHING.value)
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus), default=CampaignStatus.DRAFT, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(80))
    #: One or two sentences shown on cards and in search results.
    blurb: Mapped[str] = mapped_column(sa.String(160), default="")
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    #: Path under the upload folder, e.g. covers/ab12….jpg.
    cover_path: Mapped[str | None] = mapped_column(sa.String(200))
    #: Markdown; rendered and sanitised when shown.
    description_md: Mapped[str] = mapped_column(sa.Text, default="")
    risks_md: Mapped[str] = mapped_column(sa.Text, default="")
    #: Funding goal in minor units of ``currency``; locked at launch.
    goal_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: Campaign length; the deadline is fixed from it at launch.
    duration_days: Mapped[int] = mapped_column(default=30)
    #: When set on an approved campaign, the launch job launches it at this time.
    scheduled_launch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The operator's reason when the latest review asked for changes.
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Operators' pick, shown as a badge.
    staff_pick: Mapped[bool] = mapped_column(default=False)
    #: The public totals, frozen when the deadline passed (collection does not change them).
    pledged_at_deadline_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    backers_at_deadline: Mapped[int | None] = mapped_column()
    #: When every pledge of a closed campaign was told the outcome (and released, if it
    #: failed): the close runs in short batches and resumes until this is set.
    closed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which settlement process works this campaign, and until when its claim holds.
    settlement_claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    settlement_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: End of the window in which errored pledges can still be paid (funded campaigns).
    collection_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Late pledges (the founder's choice, reward campaigns only): for how many days after
    #: the deadline a funded campaign takes them, charged at once; None: it does not
    #: (``pledges.late``, docs/money.md#late-pledges).
    late_pledge_days: Mapped[int | None] = mapped_column()

    founder: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    tiers: Mapped[list[RewardTier]] = relationship(
        back_populates="campaign", order_by="RewardTier.position, RewardTier.id",
        cascade="all, delete-orphan",
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="campaign", order_by="BudgetLine.position, BudgetLine.id",
        cascade="all, delete-orphan",
    )
    transitions: Mapped[list[CampaignTransition]] = relationship(
        back_populates="campaign", order_by="CampaignTransition.id",
        cascade="all, delete-orphan",
    )

    @property
    def goal(self) -> Money:
        return Money(self.goal_minor, self.currency)

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def status_label(self) -> str:
        return LABELS[self.status]

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_equity(self) -> bool:
        return self.kind is CampaignKind.EQUITY

    @property
    def is_flexible(self) -> bool:
        """Flexible funding: backers are charged at the deadline whatever the total."""
        return self.funding_model is FundingModel.FLEXIBLE

    @property
    def funding_model_label(self) -> str:
        return str(FUNDING_MODEL_LABELS[self.funding_model])

    @property
    def reached_goal(self) -> bool:
        """The total frozen at the deadline reached the goal (False before the deadline):
        a flexible campaign can be funded, and charged, without it."""
        return (self.pledged_at_deadline_minor is not None
                and self.pledged_at_deadline_minor >= self.goal_minor)

    @property
    def flexible_below_goal(self) -> bool:
        """A flexible campaign whose deadline passed below its goal: its backers are charged
        all the same (if anything was pledged), and its pages and emails say so."""
        return (self.is_flexible and self.pledged_at_deadline_minor is not None
                and not self.reached_goal)

    @property
    def is_live(self) -> bool:
        return self.status is CampaignStatus.LIVE

    @property
    def is_deleted(self) -> bool:
        return self.status is CampaignStatus.DELETED

    @property
    def is_editable(self) -> bool:
        """Every field can change (draft, or changes requested)."""
        return self.status in EDITABLE_STATUSES

    @property
    def is_locked(self) -> bool:
        """Goal, currency, length and backed tiers no longer change (live or later)."""
        return self.launched_at is not None

    @property
    def can_edit_story(self) -> bool:
        """Story, blurb, cover, risks and budget may still be improved."""
        return self.is_editable or self.is_live

    @property
    def has_ended(self) -> bool:
        return self.status in ENDED_STATUSES

    @property
    def budget_total(self) -> Money:
        return Money(sum(line.amount_minor for line in self.budget_lines), self.currency)

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.slug} {self.status.value}>"


class ShipsPerDestination:
    """Shipping of a reward tier or an add-on: none (``ships`` False), or a flat fee per
    destination country in ``shipping_rates``, "rest of world" for the others (the class
    using it has ``ships``, ``shipping_rates`` and ``campaign``)."""

    @property
    def rates_for_display(self) -> list:
        """Countries first, alphabetically, then rest of world."""
        return sorted(self.shipping_rates, key=lambda r: (r.destination == REST_OF_WORLD,
                                                          r.destination))

    @property
    def rates_json(self) -> str:
        """``{destination: fee in minor units}``, for the pledge form's running total."""
        return json.dumps({r.destination: r.fee_minor for r in self.shipping_rates})

    def shipping_fee(self, destination: str) -> Money | None:
        """Fee to ``destination`` (a country's code), falling back to rest of world; None
        when it does not ship there, or ``destination`` is no country (rest of world is a
        rate, not a place to ship to)."""
        if not self.ships:
            return Money.zero(self.campaign.currency)
        if destination not in country_codes():
            return None
        rates = {r.destination: r.fee_minor for r in self.shipping_rates}
        fee = rates.get(destination, rates.get(REST_OF_WORLD))
        return None if fee is None else Money(fee, self.campaign.currency)


class RewardTier(ShipsPerDestination, TimestampMixin, db.Model):
    """A reward level: what a backer gets for pledging at least its minimum."""

    __tablename__ = "reward_tiers"
    __table_args__ = (
        sa.CheckConstraint("minimum_minor > 0", name="minimum_positive"),
        sa.CheckConstraint("quantity_limit IS NULL OR quantity_limit > 0", name="limit_positive"),
        sa.CheckConstraint(
            "claimed >= 0 AND (quantity_limit IS NULL OR claimed <= quantity_limit)",
            name="claimed_within_limit",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(80))
    #: Markdown.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Least a backer pledges for this reward (shipping is added on top).
    minimum_minor: Mapped[int] = mapped_column(sa.BigInteger)
    #: Units available; None is unlimited.
    quantity_limit: Mapped[int | None] = mapped_column()
    #: Units taken by active pledges; changed only by a conditional UPDATE.
    claimed: Mapped[int] = mapped_column(default=0)
    #: First day of the estimated delivery month.
    estimated_delivery: Mapped[date | None] = mapped_column(sa.Date)
    #: False: digital or no shipping; True: a fee per destination (shipping_rates).
    ships: Mapped[bool] = mapped_column(default=False)
    #: Storage key of the reward's picture (``rewards/<hash>.jpg``), re-encoded on upload.
    image_path: Mapped[str | None] = mapped_column(sa.String(200))
    #: What a late pledge pays for this reward (shipping on top), in minor units; None:
    #: its minimum. Changing it never changes what a late pledge already paid.
    late_price_minor: Mapped[int | None] = mapped_column(sa.BigInteger)

    campaign: Mapped[Campaign] = relationship(back_populates="tiers")
    shipping_rates: Mapped[list[ShippingRate]] = relationship(
        back_populates="tier", cascade="all, delete-orphan",
        order_by="ShippingRate.destination", lazy="selectin",
    )

    @property
    def minimum(self) -> Money:
        return Money(self.minimum_minor, self.campaign.currency)

    @property
    def late_price(self) -> Money:
        """The least a late pledge pays for this reward (its minimum unless the founder set
        another), shipping left out."""
        return Money(self.late_price_minor or self.minimum_minor, self.campaign.currency)

    @property
    def remaining(self) -> int | None:
        if self.quantity_limit is None:
            return None
        return max(self.quantity_limit - self.claimed, 0)

    @property
    def sold_out(self) -> bool:
        return self.quantity_limit is not None and self.claimed >= self.quantity_limit


class ShippingRate(db.Model):
    """A flat shipping fee from one tier to one destination (or rest of world)."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        sa.UniqueConstraint("tier_id", "destination", name="uq_shipping_rates_tier_destination"),
        sa.CheckConstraint("fee_minor >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_tiers.id"), index=True)
    #: ISO 3166 alpha-2 country code, or "ROW" for rest of world.
    destination: Mapped[str] = mapped_column(sa.String(3))
    fee_minor: Mapped[int] = mapped_column(sa.BigInteger)

    tier: Mapped[RewardTier] = relationship(back_populates="shipping_rates")


class BudgetLine(db.Model):
    """One line of what the money is for."""

    __tablename__ = "budget_lines"
    __table_args__ = (sa.CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(120))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)

    campaign: Mapped[Campaign] = relationship(back_populates="budget_lines")

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.campaign.currency)


class CampaignTransition(audit_row(CampaignStatus), db.Model):
    """Audit trail: one row per status change (who, when, from, to, why)."""

    __tablename__ = "campaign_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()


class StaffPickChange(db.Model):
    """Audit trail of staff picks: which operator featured a campaign (or stopped), when."""

    __tablename__ = "staff_pick_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    picked: Mapped[bool] = mapped_column()
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    actor: Mapped[User] = relationship()
