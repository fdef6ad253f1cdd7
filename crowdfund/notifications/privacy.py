"""The emails sent to a person in their archive; on closing, their address, name and the
messages' text are erased (the record that a message of some kind was sent stays)."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.models import User
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.notifications.models import OutboxMessage

ERASED = "[Erased: the account was closed.]"


def register() -> None:
    privacy.exports("emails")(emails)
    privacy.erases("emails", last=True)(erase)


def emails(user: User) -> list[dict]:
    return privacy.rows(sa.select(OutboxMessage).where(OutboxMessage.to_email == user.email)
                        .order_by(OutboxMessage.id), "kind", "subject", "created_at",
                        "sent_at", "text_body")


def erase(user: User) -> None:
    now = utcnow()
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.to_email == user.email)
                       .values(to_email=privacy.closed_address(user), to_name="",
                               subject=ERASED, text_body=ERASED, html_body=ERASED,
                               unsubscribe_url=None,
                               failed_at=sa.case((OutboxMessage.sent_at.is_(None), now),
                                                 else_=OutboxMessage.failed_at)))
