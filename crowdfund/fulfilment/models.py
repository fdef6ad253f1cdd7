"""The founder's questions per reward tier, each backer's survey (address and answers),
and where each tier stands for fulfilment (addresses locked, delivered)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.campaigns.models import RewardTier
from crowdfund.db import TimestampMixin, UTCDateTime, str_enum, utcnow
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.pledges.models import Pledge


class QuestionKind(enum.Enum):
    TEXT = "text"
    CHOICE = "choice"
    SIZE = "size"
    COLOUR = "colour"


#: What the studio calls each kind of question.
KIND_LABELS = {
    # TRANSLATORS: a kind of survey question: the backer types an answer
    QuestionKind.TEXT: _l("Text"),
    # TRANSLATORS: a kind of survey question: the backer picks one of the founder's options
    QuestionKind.CHOICE: _l("Choice"),
    # TRANSLATORS: a kind of survey question (a T-shirt's size...)
    QuestionKind.SIZE: _l("Size"),
    # TRANSLATORS: a kind of survey question (a product's colour)
    QuestionKind.COLOUR: _l("Colour"),
}


class SurveyQuestion(db.Model):
    """A question the founder asks the backers of one reward tier (before or after
    funding). A question someone answered is never removed."""

    __tablename__ = "survey_questions"
    __table_args__ = (sa.Index("ix_survey_questions_tier_position", "tier_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Removing a draft's reward removes its questions (nobody answered them yet).
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_tiers.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    #: The founder's words, shown as they wrote them (not translated).
    prompt: Mapped[str] = mapped_column(sa.String(200))
    #: The options of a choice, size or colour question, in the founder's order.
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    required: Mapped[bool] = mapped_column(default=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tier: Mapped[RewardTier] = relationship()

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def has_options(self) -> bool:
        return self.kind is not QuestionKind.TEXT


class FulfilmentTier(db.Model):
    """Where one reward tier stands for fulfilment. Its row is what address corrections,
    new questions and the founder's "shipping" lock take turns on (a row lock)."""

    __tablename__ = "fulfilment_tiers"

    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_tiers.id", ondelete="CASCADE"),
                                         primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: When the founder first reported the tier shipping (or delivered): from then on its
    #: backers' addresses and answers no longer change (the delivery report is the audit).
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the founder first reported it delivered: erasure is counted from here.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: Surveys waiting for an answer (the reminder pass): few rows whatever the table's size.
WAITING_WHERE = "answered_at IS NULL AND erased_at IS NULL"
#: Surveys still holding personal data (the erase job).
TO_ERASE_WHERE = "erased_at IS NULL"


class Survey(TimestampMixin, db.Model):
    """A backer's survey for one collected reward pledge: where to ship it (validated for
    the pledge's destination) and the answers to the tier's questions. The address and the
    answers are erased after ``erase_after``; the row stays (that it was erased, and when).
    """

    __tablename__ = "surveys"
    __table_args__ = (
        sa.UniqueConstraint("pledge_id", name="uq_surveys_pledge_id"),
        sa.CheckConstraint("reminders_sent >= 0", name="reminders_not_negative"),
        sa.Index("ix_surveys_campaign_tier", "campaign_id", "tier_id"),
        sa.Index("ix_surveys_waiting", "last_reminded_at",
                 sqlite_where=sa.text(WAITING_WHERE), postgresql_where=sa.text(WAITING_WHERE)),
        sa.Index("ix_surveys_to_erase", "erase_after",
                 sqlite_where=sa.text(TO_ERASE_WHERE),
                 postgresql_where=sa.text(TO_ERASE_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_tiers.id"))
    #: The backer: every read of a person's surveys goes by this id.
    backer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: The reward ships: an address is asked for, in ``country`` (the pledge's destination,
    #: which its shipping fee was paid for).
    needs_address: Mapped[bool] = mapped_column(default=False)
    country: Mapped[str | None] = mapped_column(sa.String(2))
    #: 1, then one more each time the founder adds a required question to an answered
    #: survey (it is asked again): part of the emails' dedupe keys.
    round: Mapped[int] = mapped_column(default=1)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    #: The invitation or the latest reminder: the next one is due FULFILMENT_REMINDER_EVERY
    #: after it.
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the backer last sent the whole survey (None: not answered, or asked again).
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_name: Mapped[str | None] = mapped_column(sa.String(100))
    address_line1: Mapped[str | None] = mapped_column(sa.String(200))
    address_line2: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    #: State, province, prefecture or county, as the country writes it (a code for US, CA
    #: and AU).
    region: Mapped[str | None] = mapped_column(sa.String(100))
    postal_code: Mapped[str | None] = mapped_column(sa.String(12))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    #: When the address and answers are erased (delivered + FULFILMENT_ADDRESS_RETENTION,
    #: at most the deadline + FULFILMENT_ADDRESS_MAX_RETENTION; at once after a full
    #: refund): the erase job takes the rows past it, in batches.
    erase_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pledge: Mapped[Pledge] = relationship()
    tier: Mapped[RewardTier] = relationship()
    backer: Mapped[User] = relationship()

    @property
    def has_address(self) -> bool:
        return bool(self.address_line1)

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class SurveyAnswer(db.Model):
    """A backer's answer to one of the tier's questions (deleted when the survey is
    erased)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "question_id", name="uq_survey_answers_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_questions.id"), index=True)
    value: Mapped[str] = mapped_column(sa.String(500))
