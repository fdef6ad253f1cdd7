"""Webhook deliveries we have seen, stored once each."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crowdfund.db import UTCDateTime, utcnow
from crowdfund.extensions import db


class WebhookEvent(db.Model):
    """One gateway event; the unique event id makes repeated deliveries no-ops."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The gateway's event id (evt_...); unique.
    event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    #: Id of the object the event is about (seti_..., pi_...).
    object_id: Mapped[str | None] = mapped_column(sa.String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: What the handler did ("ignored", "activated pledge 12", ...).
    outcome: Mapped[str] = mapped_column(sa.String(200), default="")
