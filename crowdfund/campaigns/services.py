"""Campaign services: drafts and their story, review, launch, cancel, suspend (rewards and
the budget: ``campaigns.rewards``).

Services check who may act, change rows and record transitions; they never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from crowdfund import events
from crowdfund.auth.models import User
from crowdfund.auth.recovery import require_verified_email
from crowdfund.campaigns import funding
from crowdfund.campaigns.access import require_founder, require_operator
from crowdfund.campaigns.categories import CATEGORIES
from crowdfund.campaigns.models import Campaign, StaffPickChange
from crowdfund.campaigns.slugs import RESERVED_SLUGS, check_slug, slugify, unique_slug
from crowdfund.campaigns.states import (
    CampaignKind,
    CampaignStatus,
    FundingModel,
    campaign_states,
)
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.filters import word_list
from crowdfund.i18n import _, _l
from crowdfund.money import Money

S = CampaignStatus
__all__ = ["RESERVED_SLUGS", "check_slug", "slugify", "unique_slug"]  # (campaigns.slugs)


class CampaignLocked(DomainError):
    """The field or tier can no longer change (the campaign is live or past review)."""

    status_code = 409


class NotReady(DomainError):
    """The draft misses something required before review."""


# --- guards -----------------------------------------------------------------------------


def require_editable(campaign: Campaign) -> None:
    if not campaign.is_editable:
        status = campaign.status_label.lower()
        raise CampaignLocked(
            _("This campaign is %(status)s; withdraw it from review to make changes.",
              status=status) if campaign.status in (S.SUBMITTED, S.APPROVED)
            else _("This campaign is %(status)s; it can no longer be changed this way.",
                   status=status))


# --- validation helpers ---------------------------------------------------------------


def _max_goal(currency: str) -> Money:
    return Money.from_decimal(str(current_app.config["MAX_GOAL_MAJOR"]), currency)


def check_currency(currency: str) -> None:
    if currency not in current_app.config["SUPPORTED_CURRENCIES"]:
        raise DomainError(_("%(currency)s is not a currency we accept.", currency=currency),
                          field="currency")


def check_goal(goal: Money) -> None:
    check_currency(goal.currency)
    if goal.amount <= 0:
        raise DomainError(_("The goal must be more than zero."), field="goal")
    if goal > _max_goal(goal.currency):
        raise DomainError(_("The goal can be at most %(amount)s.",
                            amount=_max_goal(goal.currency).format()), field="goal")


def check_duration(days: int) -> None:
    lo, hi = current_app.config["CAMPAIGN_MIN_DAYS"], current_app.config["CAMPAIGN_MAX_DAYS"]
    if not lo <= days <= hi:
        raise DomainError(_("A campaign runs for %(low)s to %(high)s days.", low=lo, high=hi),
                          field="duration_days")


def check_category(category: str) -> None:
    if category not in CATEGORIES:
        raise DomainError(_("Choose a category from the list."), field="category")


# --- drafts ----------------------------------------------------------------------------


def create_campaign(founder: User, *, title: str, kind: CampaignKind, category: str,
                    goal: Money, duration_days: int,
                    funding_model: FundingModel = FundingModel.ALL_OR_NOTHING) -> Campaign:
    """Start a draft; whoever creates a campaign becomes its founder."""
    check_category(category)
    check_goal(goal)
    check_duration(duration_days)
    funding.check_funding_model(kind, category, funding_model)
    campaign = Campaign(
        founder=founder,
        title=title.strip(),
        slug=unique_slug(title),
        kind=kind,
        category=category,
        goal_minor=goal.amount,
        currency=goal.currency,
        duration_days=duration_days,
        funding_model=funding_model,
        status=S.DRAFT,
    )
    db.session.add(campaign)
    return campaign


@dataclass
class Story:
    """What can change while live: the words, the picture and the scheduling."""

    title: str
    blurb: str
    category: str
    description_md: str
    risks_md: str


def update_campaign(campaign: Campaign, actor: User, story: Story, *, slug: str | None = None,
                    goal: Money | None = None, duration_days: int | None = None,
                    scheduled_launch_at: datetime | None = None,
                    funding_model: FundingModel | None = None) -> None:
    """Save the founder's edits. Locked fields (goal, currency, length, funding model)
    refuse to change."""
    require_founder(campaign, actor)
    if not campaign.can_edit_story:
        require_editable(campaign)
    check_category(story.category)
    locked_change = (
        (goal is not None and (goal.amount, goal.currency)
         != (campaign.goal_minor, campaign.currency))
        or (duration_days is not None and duration_days != campaign.duration_days)
        or (slug is not None and slug != campaign.slug)
        or (funding_model not in (None, campaign.funding_model))
    )
    if campaign.is_locked and locked_change:
        raise CampaignLocked(_("Goal, currency, length, address and funding model are fixed "
                               "once a campaign is live."))
    if not campaign.is_locked:
        if goal is not None:
            check_goal(goal)
            campaign.goal_minor, campaign.currency = goal.amount, goal.currency
        if duration_days is not None:
            check_duration(duration_days)
            campaign.duration_days = duration_days
        if slug is not None and slug != campaign.slug:
            check_slug(slug, campaign)
            campaign.slug = slug
        if scheduled_launch_at is not None and scheduled_launch_at <= utcnow():
            raise DomainError(_("Pick a launch time in the future."),
                              field="scheduled_launch_at")
        campaign.scheduled_launch_at = scheduled_launch_at
    funding.choose(campaign, None if campaign.is_locked else funding_model, story.category)
    campaign.title = story.title.strip()
    campaign.blurb = story.blurb.strip()
    campaign.category = story.category
    campaign.description_md = story.description_md
    campaign.risks_md = story.risks_md


def set_cover(campaign: Campaign, actor: User, cover_path: str) -> str | None:
    """Use a stored image as the cover; returns the old path to delete after commit."""
    require_founder(campaign, actor)
    if not campaign.can_edit_story:
        require_editable(campaign)
    old, campaign.cover_path = campaign.cover_path, cover_path
    return old


def save_story(campaign: Campaign, actor: User, story: Story, *, cover: str | None = None,
               **draft) -> str | None:
    """The studio's edit form in one call: the story (with a draft's goal, length, slug and
    schedule in ``draft``), then the new cover if one was uploaded. Returns the cover it
    replaced, to delete once committed."""
    update_campaign(campaign, actor, story, **draft)
    return set_cover(campaign, actor, cover) if cover else None


# --- review and launch -----------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    """One line of the "ready for review" checklist."""

    label: str
    done: bool
    hint: str = ""


# What review needs beyond the story, per kind of campaign: each feature that brings a kind
# registers its items (equity: the offering terms and statements, ``equity.subscribers``).
_KIND_READINESS: dict[CampaignKind, Callable[[Campaign], list[CheckItem]]] = {}


def readiness_of_kind(kind: CampaignKind):
    """Register ``function(campaign) -> [CheckItem]``: the items only ``kind`` needs."""
    def register(function: Callable[[Campaign], list[CheckItem]]):
        _KIND_READINESS[kind] = function
        return function
    return register


def readiness(campaign: Campaign) -> list[CheckItem]:
    """What review needs, item by item; submission requires every item done."""
    budget = campaign.budget_total
    items = [
        CheckItem(_("Title and blurb"), bool(campaign.title.strip() and campaign.blurb.strip()),
                  _("A short blurb appears on every card.")),
        CheckItem(_("Cover image"), campaign.cover_path is not None),
        CheckItem(_("Story"), len(campaign.description_md.strip()) >= 50,
                  _("Tell backers what you are making (at least 50 characters).")),
        CheckItem(_("Risks and challenges"), len(campaign.risks_md.strip()) >= 20,
                  _("Say what could go wrong and how you will handle it.")),
        CheckItem(_("Use of funds"), bool(campaign.budget_lines) and budget <= campaign.goal,
                  _("Add budget lines; together they cannot exceed the goal.")),
    ]
    if campaign.is_flexible:
        items.append(CheckItem(
            _("Flexible funding allowed in its category"),
            funding.flexible_allowed_in(campaign.category),
            _("Operators turned it off for %(category)s: choose all-or-nothing, or another "
              "category.", category=campaign.category_label)))
    if campaign.kind not in _KIND_READINESS:  # never judged ready without its own items
        raise LookupError(f"No readiness items for {campaign.kind.value} campaigns: "
                          "is the feature that brings them registered (create_app)?")
    return items + _KIND_READINESS[campaign.kind](campaign)


@readiness_of_kind(CampaignKind.REWARD)
def _reward_readiness(campaign: Campaign) -> list[CheckItem]:
    return [CheckItem(_("At least one reward"), bool(campaign.tiers))]


def submit(campaign: Campaign, actor: User) -> None:
    """Founder sends a draft (or a campaign with requested changes) for review."""
    require_founder(campaign, actor)
    require_verified_email(actor)
    funding.check_campaign(campaign)  # operators may have turned flexible off there since
    missing = [item.label for item in readiness(campaign) if not item.done]
    if missing:
        raise NotReady(_("Before review, complete: %(items)s.", items=word_list(missing)))
    campaign_states.apply(campaign, S.SUBMITTED, actor=actor)
    campaign.submitted_at = utcnow()
    events.campaign_submitted.send(campaign, actor=actor)


def withdraw(campaign: Campaign, actor: User) -> None:
    """Founder takes a campaign back from review (or from approval) to change it."""
    require_founder(campaign, actor)
    campaign_states.apply(campaign, S.DRAFT, actor=actor, reason="Withdrawn by the founder")


def delete_draft(campaign: Campaign, actor: User) -> str | None:
    """The founder gives up a campaign that never went to backers (a draft, or one sent
    back): it disappears from their studio and its address is freed; the row and its
    history stay for operators. Returns the cover to delete after the commit."""
    require_founder(campaign, actor)
    if not campaign.is_editable:
        raise CampaignLocked(_("Only a draft can be deleted: withdraw it from review first."))
    campaign_states.apply(campaign, S.DELETED, actor=actor, reason="Deleted by the founder")
    campaign.slug = f"deleted--{campaign.id}"  # a double hyphen no founder can choose
    cover, campaign.cover_path = campaign.cover_path, None
    campaign.scheduled_launch_at = None
    return cover


OWN_REVIEW = _l("Operators cannot review their own campaigns.")


def approve(campaign: Campaign, operator: User, note: str | None = None) -> None:
    require_operator(operator)
    if campaign.founder_id == operator.id:
        raise NotAllowed(OWN_REVIEW)
    if campaign.kind is CampaignKind.EQUITY and not campaign.founder.is_verified:
        # Investors are told who they invest with: an offering goes live only after an
        # operator has checked the founder's identity.
        raise NotReady(_("Verify the founder's identity before approving an offering "
                         "(Founders: identity checks)."))
    funding.check_campaign(campaign)
    campaign_states.apply(campaign, S.APPROVED, actor=operator, reason=note or None)
    campaign.rejection_reason = None
    events.campaign_approved.send(campaign, operator=operator)


def reject(campaign: Campaign, operator: User, reason: str) -> None:
    require_operator(operator)
    if campaign.founder_id == operator.id:
        raise NotAllowed(OWN_REVIEW)
    if not reason or not reason.strip():
        raise DomainError(_("Tell the founder what to change."), field="reason")
    campaign_states.apply(campaign, S.REJECTED, actor=operator, reason=reason.strip())
    campaign.rejection_reason = reason.strip()
    events.campaign_sent_back.send(campaign, operator=operator, reason=reason.strip())


def launch(campaign: Campaign, actor: User | None, now: datetime | None = None) -> None:
    """Go live: the deadline is fixed now, and goal, currency and length lock."""
    if actor is not None:
        require_founder(campaign, actor)
    now = now or utcnow()
    reason = None if actor is not None else "Scheduled launch"
    campaign_states.apply(campaign, S.LIVE, actor=actor, reason=reason)
    campaign.launched_at = now
    campaign.deadline = now + timedelta(days=campaign.duration_days)
    campaign.scheduled_launch_at = None
    events.campaign_launched.send(campaign, actor=actor)  # the founder and followers told


def due_for_scheduled_launch(now: datetime | None = None) -> list[Campaign]:
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(Campaign)
        .where(Campaign.status == S.APPROVED, Campaign.scheduled_launch_at <= now)
        .order_by(Campaign.scheduled_launch_at)
        .with_for_update(skip_locked=True)
    ))


def cancel(campaign: Campaign, actor: User, reason: str) -> int:
    """Founder stops a live campaign; every open pledge is released (``campaign_stopped``:
    pledges react in the same transaction). Returns how many were."""
    require_founder(campaign, actor)
    if not reason or not reason.strip():
        raise DomainError(_("Tell your backers why you are cancelling."), field="reason")
    campaign_states.apply(campaign, S.CANCELLED, actor=actor, reason=reason.strip())
    return _stopped(campaign, actor, "Campaign cancelled")


def suspend(campaign: Campaign, operator: User, reason: str) -> int:
    """Operator stops a live campaign (abuse, fraud); every open pledge is released."""
    require_operator(operator)
    if not reason or not reason.strip():
        raise DomainError(_("Record why the campaign is suspended."), field="reason")
    campaign_states.apply(campaign, S.SUSPENDED, actor=operator, reason=reason.strip())
    return _stopped(campaign, operator, "Campaign suspended")


def _stopped(campaign: Campaign, actor: User, reason: str) -> int:
    """Tell the features a campaign stopped; the pledges they released (their receivers
    return how many)."""
    answers = events.campaign_stopped.send(campaign, actor=actor, reason=reason)
    return sum(count for _, count in answers if isinstance(count, int))


def set_staff_pick(campaign: Campaign, operator: User, picked: bool) -> None:
    """Feature a campaign on the home page (or stop); each change is in the audit trail."""
    require_operator(operator)
    if campaign.staff_pick == picked:
        return
    campaign.staff_pick = picked
    db.session.add(StaffPickChange(campaign_id=campaign.id, picked=picked,
                                   actor_id=operator.id))

