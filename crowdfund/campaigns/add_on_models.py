"""Add-ons: extra items a founder offers beside the reward tiers (a second copy, a poster,
a pin), each with its price, an optional limited quantity, its shipping per destination and
the tiers it can join. What a pledge takes of them is ``pledges.models.PledgeAddOn``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.campaigns.models import Campaign, RewardTier, ShipsPerDestination
from crowdfund.db import TimestampMixin
from crowdfund.extensions import db
from crowdfund.money import Money

#: The most units of one add-on one pledge may take.
MAX_ADD_ON_QUANTITY = 99

#: Which tiers an add-on can join, when not every tier (``AddOn.all_tiers`` False).
add_on_tiers = sa.Table(
    "add_on_tiers", db.metadata,
    sa.Column("add_on_id", sa.ForeignKey("add_ons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tier_id", sa.ForeignKey("reward_tiers.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)


def quantity_field(add_on_id: int) -> str:
    """The name of the pledge form's quantity field of an add-on (errors point at it)."""
    return f"add_on_{add_on_id}"


class AddOn(ShipsPerDestination, TimestampMixin, db.Model):
    """An extra item backers can add to a reward pledge, for its price (plus shipping)."""

    __tablename__ = "add_ons"
    __table_args__ = (
        sa.CheckConstraint("price_minor > 0", name="price_positive"),
        sa.CheckConstraint("quantity_limit IS NULL OR quantity_limit > 0", name="limit_positive"),
        sa.CheckConstraint(
            "claimed >= 0 AND (quantity_limit IS NULL OR claimed <= quantity_limit)",
            name="claimed_within_limit",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(80))
    #: Markdown.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Price of one unit in minor units of the campaign's currency (shipping on top).
    price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    #: Units available; None is unlimited.
    quantity_limit: Mapped[int | None] = mapped_column()
    #: Units held by open pledges; changed only by a conditional UPDATE (``pledges.units``).
    claimed: Mapped[int] = mapped_column(default=0)
    #: False: digital or no shipping; True: a fee per unit and destination (shipping_rates).
    ships: Mapped[bool] = mapped_column(default=False)
    #: True: offered with every reward tier; False: only with ``tiers``.
    all_tiers: Mapped[bool] = mapped_column(default=True)
    #: Storage key of the add-on's picture (``rewards/<hash>.jpg``), re-encoded on upload.
    image_path: Mapped[str | None] = mapped_column(sa.String(200))

    campaign: Mapped[Campaign] = relationship()
    shipping_rates: Mapped[list[AddOnShippingRate]] = relationship(
        back_populates="add_on", cascade="all, delete-orphan",
        order_by="AddOnShippingRate.destination", lazy="selectin",
    )
    tiers: Mapped[list[RewardTier]] = relationship(
        secondary=add_on_tiers, order_by="RewardTier.position, RewardTier.id", lazy="selectin",
    )

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.campaign.currency)

    @property
    def remaining(self) -> int | None:
        if self.quantity_limit is None:
            return None
        return max(self.quantity_limit - self.claimed, 0)

    @property
    def sold_out(self) -> bool:
        return self.quantity_limit is not None and self.claimed >= self.quantity_limit

    @property
    def field_name(self) -> str:
        return quantity_field(self.id)

    @property
    def tier_ids(self) -> list[int]:
        """The tiers it joins when not every tier (for the pledge form's script)."""
        return [t.id for t in self.tiers]

    def available_with(self, tier: RewardTier | None) -> bool:
        """Whether a pledge for ``tier`` may take it (add-ons come with a reward)."""
        if tier is None or tier.campaign_id != self.campaign_id:
            return False
        return self.all_tiers or any(t.id == tier.id for t in self.tiers)


class AddOnShippingRate(db.Model):
    """A flat shipping fee per unit of one add-on to one destination (or rest of world)."""

    __tablename__ = "add_on_shipping_rates"
    __table_args__ = (
        sa.UniqueConstraint("add_on_id", "destination",
                            name="uq_add_on_shipping_rates_add_on_destination"),
        sa.CheckConstraint("fee_minor >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    add_on_id: Mapped[int] = mapped_column(sa.ForeignKey("add_ons.id"), index=True)
    #: ISO 3166 alpha-2 country code, or "ROW" for rest of world.
    destination: Mapped[str] = mapped_column(sa.String(3))
    #: Per unit: a backer taking three units pays it three times.
    fee_minor: Mapped[int] = mapped_column(sa.BigInteger)

    add_on: Mapped[AddOn] = relationship(back_populates="shipping_rates")
