"""Funding models (docs/domain.md#funding-models): all or nothing, the default, or flexible
(keep it all). What a campaign may choose, the operators' switch that turns flexible
funding off in a category (every change audited), and what the deadline decides.

Services change rows and never commit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_operator
from crowdfund.campaigns.categories import CATEGORIES, category_label
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, FundingModel
from crowdfund.db import UTCDateTime, dialect_insert, utcnow
from crowdfund.errors import DomainError
from crowdfund.extensions import db
from crowdfund.i18n import _, _l
from crowdfund.money import Money

EQUITY_NEVER_FLEXIBLE = _l("An equity offering is always all-or-nothing: investors are "
                           "charged only if it reaches its target by the deadline.")


class FlexibleFundingOff(db.Model):
    """A category in which operators turned flexible funding off: choosing it there is
    refused when a campaign is saved, submitted or approved. A campaign that is live
    already keeps its model."""

    __tablename__ = "flexible_funding_off"

    #: A slug of ``campaigns.categories.CATEGORIES``.
    category: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: The operator who turned it off, and when (the history: ``FlexibleFundingChange``).
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlexibleFundingChange(db.Model):
    """Audit trail of the switch: which operator turned flexible funding off in a category,
    or on again, when and why."""

    __tablename__ = "flexible_funding_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    #: True: turned on again; False: turned off.
    allowed: Mapped[bool] = mapped_column()
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User] = relationship()

    @property
    def category_label(self) -> str:
        return category_label(self.category)


# --- what a campaign may choose ----------------------------------------------------------


def disabled_categories() -> set[str]:
    """The categories where flexible funding is turned off."""
    return set(db.session.scalars(sa.select(FlexibleFundingOff.category)))


def flexible_allowed_in(category: str) -> bool:
    return db.session.get(FlexibleFundingOff, category) is None


def check_funding_model(kind: CampaignKind, category: str, model: FundingModel) -> None:
    """Refuse flexible funding for an equity offering, or in a category where operators
    turned it off (the error belongs next to the ``funding_model`` field)."""
    if model is not FundingModel.FLEXIBLE:
        return
    if kind is CampaignKind.EQUITY:
        raise DomainError(EQUITY_NEVER_FLEXIBLE, field="funding_model")
    if not flexible_allowed_in(category):
        raise DomainError(_("Flexible funding is turned off for %(category)s campaigns: "
                            "choose all-or-nothing, or another category.",
                            category=category_label(category)), field="funding_model")


def check_campaign(campaign: Campaign) -> None:
    """:func:`check_funding_model` for the campaign as it is (submission, approval)."""
    check_funding_model(campaign.kind, campaign.category, campaign.funding_model)


def choose(campaign: Campaign, model: FundingModel | None, category: str) -> None:
    """The founder's choice at save (``model`` None: unchanged), checked only when the
    model or the category changes: a campaign whose category was turned off later can
    still improve its story (submission refuses it)."""
    model = model or campaign.funding_model
    if (model, category) != (campaign.funding_model, campaign.category):
        check_funding_model(campaign.kind, category, model)
    campaign.funding_model = model


# --- the deadline --------------------------------------------------------------------------


def charges_at_deadline(campaign: Campaign, pledged: Money) -> bool:
    """Whether the deadline funds ``campaign`` (every active pledge charged) with
    ``pledged`` counted: all or nothing once the goal is reached; flexible once anything
    was pledged (nothing pledged: it failed, nothing to charge)."""
    if campaign.is_flexible:
        return pledged.amount > 0
    return pledged >= campaign.goal


def deadline_reason(campaign: Campaign, pledged: Money, funded: bool) -> str:
    """Why the deadline funded (or failed) ``campaign``, for its audit trail (stored in
    English; ``operators.reasons`` shows it in the reader's language)."""
    shown, goal = pledged.format(), campaign.goal.format()
    if funded and campaign.is_flexible and pledged < campaign.goal:
        return f"Flexible funding: {shown} of {goal} at the deadline, charged below the goal"
    if funded:
        return f"Reached {shown} of {goal} by the deadline"
    return f"{shown} of {goal} at the deadline"


# --- the operators' switch ---------------------------------------------------------------


def set_flexible_funding(operator: User, category: str, allowed: bool, reason: str) -> bool:
    """Turn flexible funding off in ``category``, or on again, with the reason in the
    audit trail. Returns False when it already was so (nothing recorded): two operators
    switching at once record one change (the row's primary key, then its lock)."""
    require_operator(operator)
    if category not in CATEGORIES:
        raise DomainError(_("Choose a category from the list."), field="category")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_("Say why (at least 5 characters)."), field="reason")
    if allowed:
        changed = db.session.execute(
            sa.delete(FlexibleFundingOff).where(FlexibleFundingOff.category == category)
            .returning(FlexibleFundingOff.category)).first() is not None
    else:
        changed = db.session.execute(
            dialect_insert(db.session, FlexibleFundingOff)
            .values(category=category, actor_id=operator.id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["category"])
            .returning(FlexibleFundingOff.category)).first() is not None
    if changed:
        db.session.add(FlexibleFundingChange(category=category, allowed=allowed,
                                             actor_id=operator.id, reason=reason))
    return changed


def changes(limit: int = 100) -> list[FlexibleFundingChange]:
    """The switch's history, newest first."""
    return list(db.session.scalars(
        sa.select(FlexibleFundingChange).order_by(FlexibleFundingChange.id.desc())
        .limit(limit)))
