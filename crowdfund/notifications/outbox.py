"""Queueing email (in the caller's transaction) and delivering it after commit.

``queue`` adds an outbox row and never commits: the message exists exactly when the event
it reports does. ``deliver_due`` (``crowdfund/notifications/delivery.py``) sends what is
waiting through SMTP, with several senders at once, marking each message sent right after
the server accepted it; a failed try is retried later with backoff, and given up after
``OUTBOX_MAX_ATTEMPTS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from crowdfund.db import collecting, dialect_insert, utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _l, language_tag
from crowdfund.notifications.delivery import DeliveryReport, deliver_due
from crowdfund.notifications.models import OutboxMessage

__all__ = ["DeliveryReport", "Email", "batch", "deliver_due", "queue"]


#: The layouts' closing line about the platform, by what a message is about
#: (``Email.about``): a reward campaign's message says all or nothing (a flexible one's
#: that backers are charged whatever the total), an offering's how an investment is
#: charged, any other (an account's) only what crowdfund is.
FOOTERS = {
    "reward": _l("crowdfund: all or nothing. You are only charged if a campaign reaches its "
                 "goal."),
    "flexible": _l("crowdfund: flexible funding. Backers are charged at the deadline whatever "
                   "the total; the founder keeps what is raised."),
    "equity": _l("crowdfund: an investment is charged only if its offering reaches its target "
                 "by the deadline."),
    None: _l("crowdfund: crowdfunding for reward campaigns and equity offerings."),
}


@dataclass(frozen=True)
class Email:
    """What a message says; the layouts turn it into plain text and HTML."""

    subject: str
    greeting: str
    paragraphs: list[str]
    #: (label, value) pairs shown as a small table: campaign, amounts, dates. A fact whose
    #: value is empty is not shown (``shown_facts``).
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: The one thing to do, as (label, absolute URL).
    action: tuple[str, str] | None = None
    #: For a message of a kind people may turn off: (what it is, the unsubscribe URL).
    unsubscribe: tuple[str, str] | None = None
    #: What the message is about, for its footer (``FOOTERS``): "reward" (an all-or-nothing
    #: reward campaign), "flexible" (a flexible one), "equity" (an offering), None (an
    #: account, nothing of a campaign).
    about: str | None = None
    #: Someone's Markdown shown after the paragraphs (a founder's update): sanitised HTML in
    #: the HTML part, as on the pages (``crowdfund.markdown``), readable text in the other.
    markdown: str | None = None

    def __post_init__(self) -> None:
        if self.about not in FOOTERS:
            raise ValueError(f"no footer for an email about {self.about!r}")

    @property
    def shown_facts(self) -> list[tuple[str, str]]:
        """The facts the layouts show: those with a value."""
        return [(label, value) for label, value in self.facts if str(value).strip()]

    @property
    def footer(self) -> str:
        """The closing line, in the language of the place the message is rendered."""
        return str(FOOTERS[self.about])


def queue(kind: str, dedupe_key: str, to_email: str, to_name: str, email: Email, *,
          recipient_id: int | None) -> bool:
    """Add a message to the outbox (no commit). False if ``dedupe_key`` is queued already.
    ``recipient_id``: the person it is written to (None only for an address no account
    has): their archive and closing find it by that, whatever their address is later.

    The message is rendered here, in the language and time zone of the caller's block (the
    recipient's: ``compose.written_for``). Inside :func:`batch` it then waits for the batch's
    single INSERT (True then means "not queued twice in this batch")."""
    key = dedupe_key[:120]
    pending = db.session.info.get(_BATCH)
    if pending is not None:
        if key in pending:
            return False
        pending[key] = _rendered(kind, to_email, to_name, email, recipient_id)
        return True
    exists = db.session.scalar(sa.select(OutboxMessage.id).where(  # autoflush: sees new rows
        OutboxMessage.dedupe_key == key))
    if exists is not None:
        return False
    result = db.session.execute(
        _insert().values(**_row(key, kind, to_email, to_name, email, recipient_id, utcnow()))
        .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.id))
    return result.scalar() is not None  # no row back: it was there already


_BATCH = "outbox_batch"


@contextmanager
def batch() -> Iterator[None]:
    """Messages queued inside go in with one SELECT of the keys already queued and one
    multi-row INSERT at the end (a closing campaign queues one per pledge). Each message is
    rendered as it is queued, in its recipient's language, not at the end. Nested batches
    join the outer one; nothing is inserted if the block raises."""
    with collecting(db.session, _BATCH) as pending:  # {dedupe key: rendered message}
        yield
    if not pending:
        return  # nested (the outer batch inserts), or nothing queued
    queued = set(db.session.scalars(sa.select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_(list(pending)))))
    now = utcnow()
    rows = [_stamped(key, message, now) for key, message in pending.items()
            if key not in queued]
    if rows:
        # ON CONFLICT DO NOTHING: a message queued at the same instant by another process
        # stays queued once, with no savepoint per message.
        db.session.execute(_insert().on_conflict_do_nothing(index_elements=["dedupe_key"]),
                           rows)


def _insert():
    return dialect_insert(db.session, OutboxMessage)


def _rendered(kind: str, to_email: str, to_name: str, email: Email,
              recipient_id: int | None) -> dict:
    """The columns of a message, its bodies rendered now: in the current language and zone
    (the layouts' own words; a lazy text of the message becomes words here too)."""
    # The layouts need nothing but the message: rendered by Jinja itself, without Flask's
    # context processors (a closing campaign renders two per pledge).
    templates = current_app.jinja_env
    context = {"email": email, "to_name": to_name, "lang": language_tag()}
    return {"kind": kind, "to_email": to_email, "to_name": to_name[:120],
            "recipient_id": recipient_id,
            "subject": str(email.subject)[:200],
            "text_body": templates.get_template("emails/layout.txt").render(context),
            "html_body": templates.get_template("emails/layout.html").render(context),
            "unsubscribe_url": email.unsubscribe[1] if email.unsubscribe else None}


def _stamped(key: str, rendered: dict, now: datetime) -> dict:
    return {**rendered, "dedupe_key": key, "next_attempt_at": now, "created_at": now,
            "attempts": 0}


def _row(key: str, kind: str, to_email: str, to_name: str, email: Email,
         recipient_id: int | None, now: datetime) -> dict:
    """A message's row, rendered now."""
    return _stamped(key, _rendered(kind, to_email, to_name, email, recipient_id), now)
