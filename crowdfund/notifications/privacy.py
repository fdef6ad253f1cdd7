"""The emails sent to a person in their archive; on closing, their address, name and the
messages' text are erased (the record that a message of some kind was sent stays).

Both select the person's mail by their id (``OutboxMessage.recipient_id``), never by an
address: mail to an earlier address of theirs is theirs, mail to an address they had
before someone else took it is not the newcomer's. Closing also erases the old messages
that carry no person (from before messages did, when they could not be matched safely)
sent to any address the person had."""

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
    return privacy.rows(sa.select(OutboxMessage).where(OutboxMessage.recipient_id == user.id)
                        .order_by(OutboxMessage.id), "kind", "subject", "created_at",
                        "sent_at", "text_body")


def erase(user: User) -> None:
    now = utcnow()
    addresses = privacy.addresses_of(user) | set(db.session.scalars(
        sa.select(OutboxMessage.to_email).where(OutboxMessage.recipient_id == user.id)
        .distinct()))
    theirs = sa.or_(OutboxMessage.recipient_id == user.id,
                    OutboxMessage.recipient_id.is_(None) & OutboxMessage.to_email.in_(addresses))
    db.session.execute(sa.update(OutboxMessage).where(theirs).values(
        to_email=privacy.closed_address(user), to_name="", subject=ERASED, text_body=ERASED,
        html_body=ERASED, unsubscribe_url=None,
        failed_at=sa.case((OutboxMessage.sent_at.is_(None), now),
                          else_=OutboxMessage.failed_at)))
