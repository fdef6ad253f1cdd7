"""The pledge row. The pledge flow itself (saved cards, changes) builds on it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.db import TimestampMixin, UTCDateTime, audit_row, str_enum
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.money import Money
from crowdfund.statemachine import label_statuses


class PledgeStatus(enum.Enum):
    """What Kickstarter shows backers, plus our own pending and released."""

    PENDING = "pending"  # card setup not confirmed yet
    ACTIVE = "active"
    CANCELLED = "cancelled"
    RELEASED = "released"  # campaign failed or was stopped: nothing charged
    COLLECTED = "collected"
    ERRORED = "errored"
    AUTHENTICATION_REQUIRED = "authentication_required"
    DROPPED = "dropped"
    DISPUTED = "disputed"
    REFUNDED = "refunded"


P = PledgeStatus

#: Pledges that make up the public "pledged" total: active now, or active when the
#: deadline passed (the total stays frozen at the deadline whatever collection does).
COUNTED_STATUSES = frozenset(
    {P.ACTIVE, P.COLLECTED, P.ERRORED, P.AUTHENTICATION_REQUIRED, P.DROPPED, P.DISPUTED,
     P.REFUNDED}
)


#: Pledges still open: one per backer and campaign (a pending attempt or an active pledge).
OPEN_STATUSES = (P.PENDING, P.ACTIVE)

#: The charge failed and the backer can still fix it (the fix page, reminders).
NEEDS_PAYMENT_STATUSES = frozenset({P.ERRORED, P.AUTHENTICATION_REQUIRED})

#: Ended with nothing charged: the saved card is detached at the gateway.
CARD_RELEASING_STATUSES = (P.RELEASED, P.CANCELLED, P.DROPPED)
#: Still using its saved card (it may be charged, or charged again): never detached.
CARD_USING_STATUSES = (P.PENDING, P.ACTIVE, P.ERRORED, P.AUTHENTICATION_REQUIRED)
#: Pledges that ended uncharged: their saved card is detached (``settlement/cards.py``).
CARD_TO_DETACH_STATUSES = (P.RELEASED, P.CANCELLED, P.DROPPED)
#: The pledges whose saved card is still to detach (a partial index: few rows).
CARD_TO_DETACH_WHERE = ("status IN ('released', 'cancelled', 'dropped') "
                        "AND payment_method_id IS NOT NULL AND card_detached_at IS NULL")
#: The card networks' own names (brand words, the same in every language), by the code of
#: the brand the payment processor reports (Stripe's ``card.brand``). Any other code,
#: "unknown" or the adapter's "card" when none is given, names no brand: the card is then
#: called a card in the reader's words.
CARD_BRAND_NAMES = {"amex": "American Express", "diners": "Diners Club",
                    "discover": "Discover", "eftpos_au": "eftpos Australia", "jcb": "JCB",
                    "mastercard": "Mastercard", "unionpay": "UnionPay", "visa": "Visa"}


STATUS_LABELS = label_statuses({
    # TRANSLATORS: the status of a pledge or an investment.
    P.PENDING: _l("Waiting for card"),
    P.ACTIVE: _l("Active"),
    P.CANCELLED: _l("Cancelled"),
    # TRANSLATORS: a pledge's status: the campaign failed or was stopped, nothing charged.
    P.RELEASED: _l("Released"),
    # TRANSLATORS: a pledge's status: its money was taken from the card.
    P.COLLECTED: _l("Collected"),
    P.ERRORED: _l("Payment failed"),
    P.AUTHENTICATION_REQUIRED: _l("Authentication required"),
    # TRANSLATORS: a pledge's status: not paid within the window to fix the payment.
    P.DROPPED: _l("Dropped"),
    # TRANSLATORS: a pledge's status: the backer's bank disputes the charge.
    P.DISPUTED: _l("Disputed"),
    P.REFUNDED: _l("Refunded"),
})


class Pledge(TimestampMixin, db.Model):
    """A backer's pledge to one campaign, optionally for one reward tier."""

    __tablename__ = "pledges"
    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("shipping_minor >= 0", name="shipping_not_negative"),
        sa.CheckConstraint("shipping_minor <= amount_minor", name="shipping_within_amount"),
        sa.CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor",
                           name="refunded_within_amount"),
        sa.Index("ix_pledges_campaign_status", "campaign_id", "status"),
        # A person's pledges (their account), and which of a few people back a campaign
        # (badges next to comments): found by the person, not by reading the campaign's.
        sa.Index("ix_pledges_backer_campaign_status", "backer_id", "campaign_id", "status"),
        # One open pledge per backer and campaign: changing a pledge edits that row.
        sa.Index(
            "uq_pledges_one_open_per_backer", "campaign_id", "backer_id", unique=True,
            sqlite_where=sa.text("status IN ('pending', 'active')"),
            postgresql_where=sa.text("status IN ('pending', 'active')"),
        ),
        # Saved cards still to detach (docs/money.md#saved-cards-after-a-pledge-ends): few
        # rows whatever the size of the table, found by the settle pass each time.
        sa.Index(
            "ix_pledges_card_to_detach", "campaign_id",
            sqlite_where=sa.text(CARD_TO_DETACH_WHERE),
            postgresql_where=sa.text(CARD_TO_DETACH_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    backer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    tier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reward_tiers.id"), index=True)
    # ``active_history``: the value before a change is loaded, so that the campaign's day
    # totals (``pledges.summary``) move by the exact difference.
    status: Mapped[PledgeStatus] = mapped_column(str_enum(PledgeStatus), default=P.PENDING,
                                                 active_history=True)
    #: Everything the backer will be charged, shipping included, in minor units.
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger, active_history=True)
    #: The part of ``amount_minor`` that pays for shipping.
    shipping_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: Shipping destination (ISO country code) when the reward ships.
    destination: Mapped[str | None] = mapped_column(sa.String(2))
    #: The latest SetupIntent made for this pledge (to confirm, or confirmed).
    setup_intent_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    #: How many SetupIntents were made for it: part of their idempotency keys.
    setup_attempts: Mapped[int] = mapped_column(default=0)
    #: The saved card that will be charged if the campaign succeeds.
    payment_method_id: Mapped[str | None] = mapped_column(sa.String(64))
    card_brand: Mapped[str | None] = mapped_column(sa.String(20))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))
    card_exp_month: Mapped[int | None] = mapped_column()
    card_exp_year: Mapped[int | None] = mapped_column()
    #: A pending pledge whose card is not confirmed by then gives back its reward unit.
    pending_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the charge at the deadline failed (errored or authentication required): the
    #: backer's window to fix it runs from here (RECOVERY_WINDOW).
    payment_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Reminders sent while the payment is failing, and when the last one went out.
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Equity offerings in stock: whole shares this commitment buys (amount = shares x price).
    shares: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: Equity: this commitment as the investor's limit counted it, in their rules' currency,
    #: and the exchange rate used (a decimal, "1" for the same currency; rates.py).
    limit_currency: Mapped[str | None] = mapped_column(sa.String(3))
    limit_amount_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    limit_rate: Mapped[str | None] = mapped_column(sa.String(40))
    #: EU: until when the investor may revoke this offer without reason or penalty (the
    #: 4-day reflection period); the offering is settled only after it. None: no such right.
    revocable_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: EU: when the investor consented to the risk warning for this amount, if it asked.
    risk_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the investor committed when an oversubscribed offering cut it at closing
    #: (``amount_minor`` is then what was allocated and is charged).
    committed_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: A material change of the offering's terms: the investor must reconfirm by then or
    #: the commitment is cancelled.
    reconfirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What has been given back of a collected pledge (refunds that succeeded).
    refunded_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0, active_history=True)
    #: The ``?ref=`` tag of the shared link the backer came from (founder's charts).
    ref: Mapped[str | None] = mapped_column(sa.String(40))
    #: A late pledge: made after the deadline of a funded campaign and charged at once; never
    #: part of the totals frozen at the deadline (``pledges.late``).
    late: Mapped[bool] = mapped_column(default=False, server_default=sa.false(),
                                       active_history=True)
    #: The backer confirmed the reward arrived.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A pledge that ended uncharged (released, cancelled, dropped) gives its saved card
    #: back: when the card was detached at the gateway (or found detached already, or left
    #: to another open pledge of the same backer that uses the same card). Null while it
    #: is still to do (``settlement.cards``).
    card_detached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Tries to detach the card so far (a run killed mid-try counts: it claimed one).
    card_detach_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Not before then: the lease of the run trying it, then the next try after a failure.
    card_detach_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last error while the card is still attached; how it ended once done.
    card_detach_note: Mapped[str | None] = mapped_column(sa.String(300))

    backer: Mapped[User] = relationship()
    campaign: Mapped[Campaign] = relationship()
    tier: Mapped[RewardTier | None] = relationship()
    #: The add-ons taken with the reward (their price and shipping are in ``amount_minor``).
    add_ons: Mapped[list[PledgeAddOn]] = relationship(
        back_populates="pledge", cascade="all, delete-orphan", order_by="PledgeAddOn.id")

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def shipping(self) -> Money:
        return Money(self.shipping_minor, self.currency)

    @property
    def add_ons_amount(self) -> Money:
        """What the add-ons cost, their shipping left out (it is in ``shipping``)."""
        return Money(sum(line.price_minor for line in self.add_ons), self.currency)

    @property
    def reward_amount(self) -> Money:
        """What the backer pledges for the reward (everything but add-ons and shipping)."""
        return self.amount - self.shipping - self.add_ons_amount

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def card_brand_name(self) -> str | None:
        """The saved card's brand as people read it ("Visa", "JCB"), None when unknown."""
        return CARD_BRAND_NAMES.get((self.card_brand or "").lower())

    @property
    def needs_payment(self) -> bool:
        """The charge failed and the backer can still fix it."""
        return self.status in NEEDS_PAYMENT_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in (PledgeStatus.PENDING, PledgeStatus.ACTIVE)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class PledgeTransition(audit_row(PledgeStatus), db.Model):
    """Audit trail: one row per pledge status change."""

    __tablename__ = "pledge_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)


class PledgeAddOn(db.Model):
    """Units of one add-on taken with a pledge, at the price and shipping of that moment."""

    __tablename__ = "pledge_add_ons"
    __table_args__ = (
        sa.UniqueConstraint("pledge_id", "add_on_id", name="uq_pledge_add_ons_pledge_add_on"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_minor > 0", name="unit_price_positive"),
        sa.CheckConstraint("shipping_minor >= 0", name="shipping_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    #: An add-on the founder removes takes with it the lines of pledges that ended
    #: uncharged (one with backers cannot be removed).
    add_on_id: Mapped[int] = mapped_column(sa.ForeignKey("add_ons.id", ondelete="CASCADE"),
                                           index=True)
    #: Units taken (each claimed from a limited add-on).
    quantity: Mapped[int] = mapped_column()
    #: Price of one unit when the pledge was made or last changed, in minor units.
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    #: Shipping of the whole line (the destination's fee per unit x quantity), part of the
    #: pledge's ``shipping_minor``.
    shipping_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    pledge: Mapped[Pledge] = relationship(back_populates="add_ons")
    add_on: Mapped[AddOn] = relationship(lazy="joined", innerjoin=True)

    @property
    def price_minor(self) -> int:
        """What the units cost together, shipping left out."""
        return self.unit_price_minor * self.quantity

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.pledge.currency)

    @property
    def shipping(self) -> Money:
        return Money(self.shipping_minor, self.pledge.currency)
