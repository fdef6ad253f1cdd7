"""Campaign services: who may move a campaign where, what each move records and locks."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crowdfund.campaigns import rewards, services
from crowdfund.campaigns.cli import launch_due
from crowdfund.campaigns.models import CampaignTransition, RewardTier
from crowdfund.campaigns.states import CampaignKind, CampaignStatus, FundingModel
from crowdfund.db import utcnow
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.money import Money
from crowdfund.pledges.models import Pledge, PledgeStatus, PledgeTransition
from crowdfund.statemachine import InvalidTransition
from tests.factories import make_campaign, make_pledge, make_tier, make_user

S = CampaignStatus


@pytest.fixture
def people(session):
    return {
        "founder": make_user(name="Founder"),
        "other": make_user(name="Other founder"),
        "operator": make_user(name="Operator", operator=True),
    }


def _story(campaign, **changes):
    values = dict(title=campaign.title, blurb=campaign.blurb, category=campaign.category,
                  description_md=campaign.description_md, risks_md=campaign.risks_md)
    values.update(changes)
    return services.Story(**values)


def test_create_campaign_makes_a_draft_with_unique_slug(session, people):
    a = services.create_campaign(people["founder"], title="Solar Kettle!", kind=CampaignKind.REWARD,
                                 category="design", goal=Money(500000, "USD"), duration_days=30)
    session.flush()
    b = services.create_campaign(people["other"], title="Solar kettle", kind=CampaignKind.REWARD,
                                 category="design", goal=Money(500000, "EUR"), duration_days=30)
    session.flush()
    assert a.status is S.DRAFT and a.slug == "solar-kettle" and b.slug == "solar-kettle-2"
    assert services.unique_slug("New") == "new-campaign"  # reserved words get a suffix


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [({"goal": Money(0, "USD")}, "goal", "The goal must be more than zero"),
     ({"goal": Money(-5, "USD")}, "goal", "The goal must be more than zero"),
     ({"goal": Money(10**11 + 1, "USD")}, "goal", r"The goal can be at most \$100,000,000\.00"),
     ({"goal": Money(100, "KRW")}, "currency", "KRW is not a currency we accept"),
     ({"duration_days": 0}, "duration_days", "A campaign runs for 1 to 60 days"),
     ({"duration_days": 61}, "duration_days", "A campaign runs for 1 to 60 days"),
     ({"category": "weapons"}, "category", "Choose a category from the list")],
)
def test_create_campaign_refuses_bad_values(session, people, kwargs, field, message):
    values = dict(title="T", kind=CampaignKind.REWARD, category="art", goal=Money(1000, "USD"),
                  duration_days=30)
    values.update(kwargs)
    with pytest.raises(DomainError, match=message) as info:
        services.create_campaign(people["founder"], **values)
    assert info.value.field == field


def test_full_review_and_launch_path_is_recorded(session, people):
    founder, operator = people["founder"], people["operator"]
    campaign = make_campaign(founder)
    services.submit(campaign, founder)
    services.reject(campaign, operator, "Show the prototype working.")
    assert campaign.status is S.REJECTED and campaign.rejection_reason.startswith("Show")
    services.update_campaign(campaign, founder,
                             _story(campaign, description_md="Now with video. " * 5))
    services.submit(campaign, founder)
    services.approve(campaign, operator, "Looks good")
    before = utcnow()
    services.launch(campaign, founder)
    session.flush()
    assert campaign.status is S.LIVE and campaign.rejection_reason is None
    assert campaign.launched_at >= before
    assert campaign.deadline == campaign.launched_at + timedelta(days=campaign.duration_days)
    trail = session.scalars(sa.select(CampaignTransition).where(
        CampaignTransition.campaign_id == campaign.id).order_by(CampaignTransition.id)).all()
    assert [(t.from_status, t.to_status) for t in trail] == [
        (S.DRAFT, S.SUBMITTED), (S.SUBMITTED, S.REJECTED), (S.REJECTED, S.SUBMITTED),
        (S.SUBMITTED, S.APPROVED), (S.APPROVED, S.LIVE)]
    assert [t.actor_id for t in trail] == [founder.id, operator.id, founder.id, operator.id,
                                           founder.id]
    assert trail[1].reason == "Show the prototype working." and trail[3].reason == "Looks good"
    assert all(t.created_at is not None for t in trail)


def test_submit_requires_a_complete_draft(session, people):
    campaign = make_campaign(people["founder"], ready=False)
    with pytest.raises(services.NotReady, match="Cover image"):
        services.submit(campaign, people["founder"])
    assert campaign.status is S.DRAFT and campaign.transitions == []


def test_budget_over_goal_blocks_submission(session, people):
    campaign = make_campaign(people["founder"], goal_minor=10_000)
    rewards.add_budget_line(campaign, people["founder"], "More", Money(9_000, "USD"))
    with pytest.raises(services.NotReady, match="Use of funds"):
        services.submit(campaign, people["founder"])


def test_equity_campaigns_cannot_be_submitted_until_terms_exist(session, people):
    campaign = make_campaign(people["founder"], kind=CampaignKind.EQUITY, tiers=0)
    with pytest.raises(services.NotReady, match="Offering terms"):
        services.submit(campaign, people["founder"])


@pytest.mark.parametrize("action", ["submit", "withdraw", "launch"])
def test_only_the_founder_moves_their_campaign(session, people, action):
    status = {"submit": S.DRAFT, "withdraw": S.SUBMITTED, "launch": S.APPROVED}[action]
    campaign = make_campaign(people["founder"], status=status)
    with pytest.raises(NotAllowed, match="This is not your campaign"):
        getattr(services, action)(campaign, people["other"])
    assert campaign.status is status


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_operators_review(session, people, action):
    campaign = make_campaign(people["founder"], status=S.SUBMITTED)
    args = ("Needs work",) if action == "reject" else ()
    with pytest.raises(NotAllowed, match="Only operators can do this"):
        getattr(services, action)(campaign, people["other"], *args)
    operator_founder = make_user(operator=True)
    own = make_campaign(operator_founder, status=S.SUBMITTED)
    with pytest.raises(NotAllowed, match="Operators cannot review their own campaigns"):
        getattr(services, action)(own, operator_founder, *args)
    assert campaign.status is S.SUBMITTED and own.status is S.SUBMITTED


def test_reject_needs_a_reason(session, people):
    campaign = make_campaign(people["founder"], status=S.SUBMITTED)
    with pytest.raises(DomainError, match="Tell the founder what to change"):
        services.reject(campaign, people["operator"], "   ")
    assert campaign.status is S.SUBMITTED


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.REJECTED, S.LIVE, S.FAILED])
def test_launch_only_from_approved(session, people, status):
    campaign = make_campaign(people["founder"], status=status)
    with pytest.raises(InvalidTransition, match="This campaign is .* and cannot become") as no:
        services.launch(campaign, people["founder"])
    assert (no.value.from_status, no.value.to_status) == (status, S.LIVE)


def test_withdraw_from_approval_returns_to_draft(session, people):
    campaign = make_campaign(people["founder"], status=S.APPROVED)
    services.withdraw(campaign, people["founder"])
    assert campaign.status is S.DRAFT


def test_live_campaign_locks_goal_currency_length_slug_and_funding_model(session, people):
    founder = people["founder"]
    campaign = make_campaign(founder, status=S.LIVE)
    for kwargs in ({"goal": Money(1, "USD")}, {"goal": Money(campaign.goal_minor, "EUR")},
                   {"duration_days": 10}, {"slug": "another"},
                   {"funding_model": FundingModel.FLEXIBLE}):
        with pytest.raises(services.CampaignLocked, match="Goal, currency, length, address and "
                                                          "funding model are fixed once a "
                                                          "campaign is live"):
            services.update_campaign(campaign, founder, _story(campaign), **kwargs)
    services.update_campaign(campaign, founder, _story(campaign, title="Better title"))
    assert campaign.title == "Better title" and campaign.goal_minor == 100_000


def test_submitted_campaign_cannot_be_edited(session, people):
    campaign = make_campaign(people["founder"], status=S.SUBMITTED)
    with pytest.raises(services.CampaignLocked, match="This campaign is in review; withdraw it "
                                                      "from review to make changes"):
        services.update_campaign(campaign, people["founder"], _story(campaign, title="x"))


def _tier_input(minimum=1500, **kw):
    if isinstance(minimum, int):
        minimum = Money(minimum, "USD")
    values = dict(title="T", description="", minimum=minimum, quantity_limit=None,
                  estimated_delivery=None, ships=False, shipping=[])
    values.update(kw)
    return rewards.TierInput(**values)


def test_tier_with_backers_is_read_only_once_live(session, people):
    founder = people["founder"]
    campaign = make_campaign(founder, status=S.LIVE)
    backed = make_tier(campaign, limit=10, claimed=1)
    make_pledge(campaign, tier=backed)
    free = make_tier(campaign)
    with pytest.raises(services.CampaignLocked, match="This reward has backers, so it can no "
                                                      "longer change"):
        rewards.update_tier(backed, founder, _tier_input())
    with pytest.raises(services.CampaignLocked, match="This reward has backers, so it cannot be "
                                                      "removed"):
        rewards.delete_tier(backed, founder)
    rewards.update_tier(free, founder, _tier_input(minimum=999))
    assert free.minimum_minor == 999
    added = rewards.add_tier(campaign, founder, _tier_input(title="Late addition"))
    assert added in campaign.tiers


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [({"minimum": Money(0, "USD")}, "minimum", "The minimum pledge must be more than zero"),
     ({"minimum": Money(100, "EUR")}, "minimum", "Use the campaign's currency"),
     ({"minimum": Money(10**9, "USD")}, "minimum",
      r"The minimum pledge can be at most \$100,000\.00"),
     ({"quantity_limit": 0}, "quantity_limit", "A limited reward has at least 1 unit"),
     ({"estimated_delivery": date(2001, 1, 1)}, "estimated_delivery",
      "The estimated delivery cannot be in the past"),
     ({"ships": True, "shipping": []}, "shipping",
      "Add at least one destination with its shipping fee"),
     ({"ships": True, "shipping": [("US", Money(1, "USD")), ("US", Money(2, "USD"))]},
      "shipping", "United States is listed twice")],
)
def test_tier_validation(session, people, kwargs, field, message):
    campaign = make_campaign(people["founder"])
    with pytest.raises(DomainError, match=message) as info:
        rewards.add_tier(campaign, people["founder"], _tier_input(**kwargs))
    assert info.value.field == field


def test_shipping_fee_falls_back_to_rest_of_world(session, people):
    campaign = make_campaign(people["founder"])
    tier = rewards.add_tier(campaign, people["founder"], _tier_input(
        ships=True, shipping=[("US", Money(500, "USD")), ("ROW", Money(1500, "USD"))]))
    session.flush()
    assert tier.shipping_fee("US") == Money(500, "USD")
    assert tier.shipping_fee("FR") == Money(1500, "USD")
    rewards.update_tier(tier, people["founder"], _tier_input(
        ships=True, shipping=[("US", Money(700, "USD"))]))
    session.flush()
    assert tier.shipping_fee("US") == Money(700, "USD") and tier.shipping_fee("FR") is None


@pytest.mark.parametrize(("service", "actor_key", "to"),
                         [("cancel", "founder", S.CANCELLED), ("suspend", "operator", S.SUSPENDED)])
def test_stopping_a_live_campaign_releases_every_open_pledge(session, people, service, actor_key,
                                                             to):
    campaign = make_campaign(people["founder"], status=S.LIVE)
    tier = make_tier(campaign, limit=5, claimed=2)
    active = [make_pledge(campaign, tier=tier), make_pledge(campaign, tier=tier)]
    pending = make_pledge(campaign, status=PledgeStatus.PENDING)
    cancelled = make_pledge(campaign, status=PledgeStatus.CANCELLED)
    released = getattr(services, service)(campaign, people[actor_key], "Supplier went bust")
    session.flush()
    assert released == 3 and campaign.status is to
    assert {p.status for p in [*active, pending]} == {PledgeStatus.RELEASED}
    assert cancelled.status is PledgeStatus.CANCELLED
    assert session.get(RewardTier, tier.id).claimed == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(PledgeTransition)) == 3
    assert campaign.transitions[-1].reason == "Supplier went bust"


def test_backer_cannot_suspend_and_founder_cannot_cancel_others(session, people):
    campaign = make_campaign(people["founder"], status=S.LIVE)
    with pytest.raises(NotAllowed, match="Only operators can do this"):
        services.suspend(campaign, people["other"], "because")
    with pytest.raises(NotAllowed, match="This is not your campaign"):
        services.cancel(campaign, people["other"], "because")
    assert campaign.status is S.LIVE


def test_scheduled_launch_job_launches_only_due_approved_campaigns(session, people):
    due = make_campaign(people["founder"], status=S.APPROVED)
    due.scheduled_launch_at = utcnow() - timedelta(minutes=1)
    later = make_campaign(people["founder"], status=S.APPROVED)
    later.scheduled_launch_at = utcnow() + timedelta(days=1)
    draft = make_campaign(people["founder"], status=S.DRAFT)
    draft.scheduled_launch_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert launch_due() == [due.slug]
    session.expire_all()
    assert due.status is S.LIVE and due.deadline is not None
    assert due.transitions[-1].actor_id is None
    assert later.status is S.APPROVED and draft.status is S.DRAFT
    assert launch_due() == []


def test_pledge_rows_untouched_by_failed_service_call(session, people):
    campaign = make_campaign(people["founder"], status=S.DRAFT)
    make_pledge(campaign, status=PledgeStatus.ACTIVE)
    with pytest.raises(InvalidTransition, match="This campaign is .* and cannot become") as no:
        services.cancel(campaign, people["founder"], "Not live yet")
    assert (no.value.from_status, no.value.to_status) == (S.DRAFT, S.CANCELLED)
    assert session.scalar(sa.select(Pledge.status)) is PledgeStatus.ACTIVE


def test_an_offering_is_approved_only_after_the_founders_identity_is_checked(session):
    operator = make_user(operator=True)
    offering = make_campaign(status=S.SUBMITTED, kind=CampaignKind.EQUITY)
    session.flush()
    with pytest.raises(services.NotReady, match="Verify the founder's identity"):
        services.approve(offering, operator)
    assert offering.status is S.SUBMITTED
    verified = make_campaign(make_user(verified=True), status=S.SUBMITTED,
                             kind=CampaignKind.EQUITY)
    session.flush()
    services.approve(verified, operator)
    assert verified.status is S.APPROVED
