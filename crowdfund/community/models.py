"""Campaign updates: numbered posts by the founder, public or for backers only."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.db import UTCDateTime, utcnow
from crowdfund.extensions import db


class CampaignUpdate(db.Model):
    __tablename__ = "campaign_updates"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "number", name="uq_campaign_updates_number"),
        sa.CheckConstraint("visibility IN ('public', 'backers')", name="visibility_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: 1, 2, 3... per campaign, in the order they were posted.
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(120))
    body_md: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(sa.String(10), default="public")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

    @property
    def backers_only(self) -> bool:
        return self.visibility == "backers"
