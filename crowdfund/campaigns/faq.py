"""A campaign's FAQ: the founder's questions with their answers (Markdown, sanitised when
shown, like the story), in the founder's order, shown on the campaign page (``#faq``).
Editable in drafts and after launch (a FAQ is how founders answer what backers keep
asking), not while in review nor once the campaign is cancelled or suspended
(docs/domain.md#the-campaign-page). Services never commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.services import require_editable
from crowdfund.campaigns.states import EDITABLE_STATUSES, CampaignStatus
from crowdfund.db import UTCDateTime, utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _
from crowdfund.locking import lock

S = CampaignStatus

#: Most entries one campaign's FAQ holds; longest question and answer (characters).
MAX_ENTRIES = 30
MAX_QUESTION = 200
MAX_ANSWER = 5000

#: When the FAQ can change: drafts, and from launch to settlement.
FAQ_STATUSES = frozenset(EDITABLE_STATUSES) | {S.LIVE, S.FUNDED, S.COLLECTING, S.SETTLED}


class FaqEntry(db.Model):
    """One question of a campaign's FAQ with the founder's answer."""

    __tablename__ = "campaign_faq_entries"
    __table_args__ = (sa.Index("ix_campaign_faq_entries_campaign_position",
                               "campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    #: Order on the page, smallest first (moved up and down by the founder).
    position: Mapped[int] = mapped_column(default=0)
    question: Mapped[str] = mapped_column(sa.String(MAX_QUESTION))
    #: Markdown, sanitised when shown (``crowdfund.markdown``).
    answer_md: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def faq_of(campaign: Campaign) -> list[FaqEntry]:
    """The campaign's FAQ in the founder's order."""
    return list(db.session.scalars(sa.select(FaqEntry).where(
        FaqEntry.campaign_id == campaign.id).order_by(FaqEntry.position, FaqEntry.id)))


def _require_faq_editable(campaign: Campaign, actor: User) -> None:
    require_founder(campaign, actor)
    if campaign.status not in FAQ_STATUSES:
        require_editable(campaign)  # never editable: says why (in review: withdraw it)


def _clean(question: str, answer_md: str) -> tuple[str, str]:
    question, answer_md = (question or "").strip(), (answer_md or "").strip()
    if not question:
        raise DomainError(_("Write the question."), field="question")
    if len(question) > MAX_QUESTION:
        raise DomainError(_("A question can be at most %(num)s characters.",
                            num=MAX_QUESTION), field="question")
    if not answer_md:
        raise DomainError(_("Write the answer."), field="answer_md")
    if len(answer_md) > MAX_ANSWER:
        raise DomainError(_("An answer can be at most %(num)s characters.",
                            num=MAX_ANSWER), field="answer_md")
    return question, answer_md


def add_entry(campaign: Campaign, actor: User, question: str, answer_md: str) -> FaqEntry:
    """A new question at the end of the FAQ; at most MAX_ENTRIES (counted under the
    campaign's row lock, so two at once cannot pass it)."""
    _require_faq_editable(campaign, actor)
    question, answer_md = _clean(question, answer_md)
    lock(campaign)
    count, last = db.session.execute(sa.select(
        sa.func.count(FaqEntry.id), sa.func.max(FaqEntry.position)).where(
        FaqEntry.campaign_id == campaign.id)).one()
    if count >= MAX_ENTRIES:
        raise DomainError(_("A FAQ holds at most %(num)s questions: remove one first.",
                            num=MAX_ENTRIES), field="question")
    entry = FaqEntry(campaign_id=campaign.id, question=question, answer_md=answer_md,
                     position=(last if last is not None else -1) + 1)
    db.session.add(entry)
    db.session.flush()
    return entry


def update_entry(entry: FaqEntry, campaign: Campaign, actor: User, question: str,
                 answer_md: str) -> None:
    _require_faq_editable(campaign, actor)
    entry.question, entry.answer_md = _clean(question, answer_md)


def delete_entry(entry: FaqEntry, campaign: Campaign, actor: User) -> None:
    _require_faq_editable(campaign, actor)
    db.session.delete(entry)


def move_entry(entry: FaqEntry, campaign: Campaign, actor: User, up: bool) -> bool:
    """Swap ``entry`` with the one above (or below) it; False at the top (bottom)."""
    _require_faq_editable(campaign, actor)
    lock(campaign)
    entries = faq_of(campaign)
    at = next(i for i, e in enumerate(entries) if e.id == entry.id)
    other = at - 1 if up else at + 1
    if not 0 <= other < len(entries):
        return False
    entries[at], entries[other] = entries[other], entries[at]
    for position, each in enumerate(entries):  # renumbered: equal positions sort apart
        each.position = position
    return True
