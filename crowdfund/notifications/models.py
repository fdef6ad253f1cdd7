"""The outbox: one row per email, written in the same transaction as what it reports."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crowdfund.db import UTCDateTime, utcnow
from crowdfund.extensions import db


class OutboxMessage(db.Model):
    """An email to deliver. Sent at most once per ``dedupe_key`` (a retry never duplicates)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_unsent", "sent_at", "next_attempt_at"),
        # What senders claim from, oldest first: the messages still to send.
        sa.Index("ix_outbox_to_send", "id",
                 sqlite_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
                 postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What it is about, e.g. ``pledge-12-payment-failed``: unique, so an event mails once.
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    to_email: Mapped[str] = mapped_column(sa.String(254))
    #: The person it is written to: their archive and closing select their mail by this,
    #: never by the address (which they may change, and someone else may take later).
    #: None for mail to an address no account has, and for old messages that could not
    #: be matched to a person safely (migration ``d68b54739f86``).
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    to_name: Mapped[str] = mapped_column(sa.String(120), default="")
    subject: Mapped[str] = mapped_column(sa.String(200))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    #: A message people may stop getting: its unsubscribe link (the List-Unsubscribe
    #: header, RFC 2369 and one-click RFC 8058); None for transactional mail.
    unsubscribe_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Delivery: tries so far, the last error, when to try again, when it went out.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Given up after OUTBOX_MAX_ATTEMPTS: an operator looks at it.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The sender sending it now, and until when its claim holds (renewed while it
    #: sends): a killed sender's messages are claimed again once it lapses.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
