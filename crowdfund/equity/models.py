"""The terms of an equity offering (one per equity campaign), locked at launch."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.campaigns.models import Campaign
from crowdfund.db import TimestampMixin, UTCDateTime, audit_row, str_enum, utcnow
from crowdfund.equity.rulesets import EU_MEMBERS
from crowdfund.extensions import db
from crowdfund.i18n import _l
from crowdfund.money import Money
from crowdfund.statemachine import label_statuses


class SecurityType(enum.Enum):
    COMMON_STOCK = "common_stock"
    PREFERRED_STOCK = "preferred_stock"
    SAFE = "safe"
    CONVERTIBLE_NOTE = "convertible_note"

    @property
    def label(self) -> str:
        return SECURITY_LABELS[self]

    @property
    def is_stock(self) -> bool:
        return self in (SecurityType.COMMON_STOCK, SecurityType.PREFERRED_STOCK)


SECURITY_LABELS = {
    SecurityType.COMMON_STOCK: _l("Common stock"),
    SecurityType.PREFERRED_STOCK: _l("Preferred stock"),
    SecurityType.SAFE: _l("SAFE (simple agreement for future equity)"),
    SecurityType.CONVERTIBLE_NOTE: _l("Convertible note"),
}


class AllocationPolicy(enum.Enum):
    """Who gets what when commitments exceed the maximum."""

    FIRST_COME = "first_come"
    PRO_RATA = "pro_rata"


ALLOCATION_LABELS = {
    AllocationPolicy.FIRST_COME: _l("First come, first served"),
    AllocationPolicy.PRO_RATA: _l("Pro rata (everyone cut by the same share)"),
}


class InvestorCategory(enum.Enum):
    """A UK resident's category of investor, declared with its statement (FCA COBS 4.12A,
    the statements of COBS 4 Annexes 2R to 5R, as amended by PS22/10)."""

    RESTRICTED = "restricted"
    HIGH_NET_WORTH = "high_net_worth"
    CERTIFIED_SOPHISTICATED = "certified_sophisticated"
    SELF_CERTIFIED_SOPHISTICATED = "self_certified_sophisticated"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])

    @property
    def limited(self) -> bool:
        """A restricted investor is held to a share of net assets; the others are not."""
        return self is InvestorCategory.RESTRICTED


CATEGORY_LABELS = {
    InvestorCategory.RESTRICTED: _l("Restricted investor"),
    InvestorCategory.HIGH_NET_WORTH: _l("Certified high net worth investor"),
    InvestorCategory.CERTIFIED_SOPHISTICATED: _l("Certified sophisticated investor"),
    InvestorCategory.SELF_CERTIFIED_SOPHISTICATED: _l("Self-certified sophisticated investor"),
}


class Offering(TimestampMixin, db.Model):
    """What an equity campaign sells, at what terms. The target is the campaign's goal."""

    __tablename__ = "offerings"
    __table_args__ = (
        sa.CheckConstraint("maximum_minor > 0", name="maximum_positive"),
        sa.CheckConstraint("minimum_investment_minor > 0 AND "
                           "minimum_investment_minor <= maximum_minor",
                           name="minimum_within_maximum"),
        sa.CheckConstraint("price_per_share_minor IS NULL OR price_per_share_minor > 0",
                           name="price_positive"),
        sa.CheckConstraint("discount_bps IS NULL OR (discount_bps > 0 AND discount_bps < 10000)",
                           name="discount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), unique=True)
    issuer_legal_name: Mapped[str] = mapped_column(sa.String(200))
    issuer_jurisdiction: Mapped[str] = mapped_column(sa.String(2))
    incorporated_on: Mapped[date] = mapped_column(sa.Date)
    security: Mapped[SecurityType] = mapped_column(str_enum(SecurityType))
    #: Stock: price of one share and the company's value before the raise.
    price_per_share_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    pre_money_valuation_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: SAFE and convertible note: valuation cap and/or discount (basis points).
    valuation_cap_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    discount_bps: Mapped[int | None] = mapped_column()
    #: Convertible note: yearly interest (basis points) and maturity.
    interest_rate_bps: Mapped[int | None] = mapped_column()
    maturity_on: Mapped[date | None] = mapped_column(sa.Date)
    maximum_minor: Mapped[int] = mapped_column(sa.BigInteger)
    minimum_investment_minor: Mapped[int] = mapped_column(sa.BigInteger)
    allocation: Mapped[AllocationPolicy] = mapped_column(str_enum(AllocationPolicy))
    use_of_proceeds_md: Mapped[str] = mapped_column(sa.Text, default="")

    campaign: Mapped[Campaign] = relationship()

    def _money(self, minor: int | None) -> Money | None:
        return None if minor is None else Money(minor, self.campaign.currency)

    @property
    def target(self) -> Money:
        return self.campaign.goal

    @property
    def maximum(self) -> Money:
        return Money(self.maximum_minor, self.campaign.currency)

    @property
    def minimum_investment(self) -> Money:
        return Money(self.minimum_investment_minor, self.campaign.currency)

    @property
    def price_per_share(self) -> Money | None:
        return self._money(self.price_per_share_minor)

    @property
    def pre_money_valuation(self) -> Money | None:
        return self._money(self.pre_money_valuation_minor)

    @property
    def valuation_cap(self) -> Money | None:
        return self._money(self.valuation_cap_minor)

    @property
    def has_kiis(self) -> bool:
        """An issuer incorporated in the EU offers under Regulation (EU) 2020/1503: its
        offering has a key investment information sheet (``equity.kiis``)."""
        return self.issuer_jurisdiction in EU_MEMBERS

    @property
    def shares_offered(self) -> int | None:
        """Whole shares the maximum buys (stock only)."""
        if not self.price_per_share_minor:
            return None
        return self.maximum_minor // self.price_per_share_minor


class InvestorProfile(TimestampMixin, db.Model):
    """What an investor declared before their first investment, and their risk
    acknowledgement (which version of the education text, and when)."""

    __tablename__ = "investor_profiles"
    __table_args__ = (
        sa.CheckConstraint("annual_income_minor >= 0 AND net_worth_minor >= 0 AND "
                           "invested_elsewhere_minor >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    jurisdiction: Mapped[str] = mapped_column(sa.String(2))
    #: The rule set's currency (USD for Reg CF, GBP for the UK rules).
    currency: Mapped[str] = mapped_column(sa.String(3))
    annual_income_minor: Mapped[int] = mapped_column(sa.BigInteger)
    net_worth_minor: Mapped[int] = mapped_column(sa.BigInteger)
    accredited: Mapped[bool] = mapped_column(default=False)
    #: Crowdfunding investments made elsewhere in the last 12 months, as declared.
    invested_elsewhere_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: China's rules: financial assets (deposits, securities, funds), as declared.
    financial_assets_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: EU, non-sophisticated (``equity.eu``): the entry knowledge test (when, passed or
    #: not), going on after a failed one, and the simulation of the ability to bear loss.
    eu_knowledge_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eu_knowledge_passed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    eu_not_appropriate_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eu_loss_simulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    education_version: Mapped[str | None] = mapped_column(sa.String(20))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: UK: the category the investor declared, and when they made its statement (it lapses
    #: after 12 months and must be made again before investing).
    category: Mapped[InvestorCategory | None] = mapped_column(str_enum(InvestorCategory, 40))
    category_stated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: UK: the appropriateness assessment passed (when, which version of the questions).
    assessment_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessment_version: Mapped[str | None] = mapped_column(sa.String(20))
    #: UK: the last failed attempt (the next one only after a wait) and how many failed.
    assessment_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessment_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    #: UK: when the categorisation and the assessment were both first complete: a
    #: first-time investor commits only after the cooling-off period from then.
    cooling_off_from: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def annual_income(self) -> Money:
        return Money(self.annual_income_minor, self.currency)

    @property
    def net_worth(self) -> Money:
        return Money(self.net_worth_minor, self.currency)

    @property
    def invested_elsewhere(self) -> Money:
        return Money(self.invested_elsewhere_minor, self.currency)

    @property
    def financial_assets(self) -> Money | None:
        if self.financial_assets_minor is None:
            return None
        return Money(self.financial_assets_minor, self.currency)

    @property
    def educated(self) -> bool:
        return self.acknowledged_at is not None

    def note_uk_steps_done(self, now: datetime) -> None:
        """Start the cooling-off the first time the category and the assessment are both
        done (never restarted: a statement made again later does not move it)."""
        if (self.cooling_off_from is None and self.category_stated_at is not None
                and self.assessment_passed_at is not None):
            self.cooling_off_from = now


class Holding(db.Model):
    """One line of an issuer's cap table: securities issued to an investor."""

    __tablename__ = "holdings"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offerings.id"), index=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: The commitment that paid for it: one holding per collected commitment.
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), unique=True)
    security: Mapped[SecurityType] = mapped_column(str_enum(SecurityType))
    #: Stock: whole shares at the offering's price. SAFE and note: the principal.
    shares: Mapped[int | None] = mapped_column(sa.BigInteger)
    price_per_share_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    principal_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    issued_on: Mapped[date] = mapped_column(sa.Date)

    offering: Mapped[Offering] = relationship()
    holder: Mapped[User] = relationship()

    @property
    def principal(self) -> Money:
        return Money(self.principal_minor, self.currency)

    @property
    def price_per_share(self) -> Money | None:
        if self.price_per_share_minor is None:
            return None
        return Money(self.price_per_share_minor, self.currency)


class DocumentKind(enum.Enum):
    BUSINESS_PLAN = "business_plan"
    FINANCIAL_STATEMENTS = "financial_statements"
    OTHER = "other"


DOCUMENT_LABELS = {
    DocumentKind.BUSINESS_PLAN: _l("Business plan"),
    DocumentKind.FINANCIAL_STATEMENTS: _l("Financial statements"),
    DocumentKind.OTHER: _l("Other disclosure"),
}


class OfferingDocument(db.Model):
    """A disclosure document (PDF) of an offering, shown to investors."""

    __tablename__ = "offering_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offerings.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    title: Mapped[str] = mapped_column(sa.String(120))
    path: Mapped[str] = mapped_column(sa.String(200))
    size_bytes: Mapped[int] = mapped_column()
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return DOCUMENT_LABELS[self.kind]


class OfferingChangeStatus(enum.Enum):
    """Where a proposed change of a live offering stands (``equity.states``)."""

    PENDING = "pending"
    APPLIED = "applied"


label_statuses({
    # TRANSLATORS: the status of a change of an offering's terms: an operator has not
    # applied it yet.
    OfferingChangeStatus.PENDING: _l("Pending"),
    OfferingChangeStatus.APPLIED: _l("Applied"),
})


class OfferingChange(db.Model):
    """A change of a live offering's terms: proposed by the founder, judged by an operator
    (material or not), then applied. A material change makes every investor reconfirm."""

    __tablename__ = "offering_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offerings.id"), index=True)
    status: Mapped[OfferingChangeStatus] = mapped_column(
        str_enum(OfferingChangeStatus, length=10), default=OfferingChangeStatus.PENDING)
    summary: Mapped[str] = mapped_column(sa.Text)
    #: The new terms (column -> value, JSON-safe) and which columns they change.
    proposed: Mapped[dict] = mapped_column(sa.JSON)
    changed: Mapped[list[str]] = mapped_column(sa.JSON)
    #: A change of price, security, maximum or use of proceeds is always material.
    always_material: Mapped[bool] = mapped_column(default=False)
    material: Mapped[bool | None] = mapped_column()
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Investors who do not reconfirm by then are cancelled (5 business days).
    reconfirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offering: Mapped[Offering] = relationship()
    transitions: Mapped[list[OfferingChangeTransition]] = relationship(
        back_populates="change", order_by="OfferingChangeTransition.id",
        cascade="all, delete-orphan")


class OfferingChangeTransition(audit_row(OfferingChangeStatus), db.Model):
    """Audit trail of an offering change: who applied it, when, material or not."""

    __tablename__ = "offering_change_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(sa.ForeignKey("offering_changes.id"), index=True)

    change: Mapped[OfferingChange] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()
