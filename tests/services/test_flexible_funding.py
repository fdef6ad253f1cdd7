"""Flexible funding (issue 28): the founder's choice and what refuses it (an equity
offering; a category where operators turned it off, at save, submission and approval), the
operators' audited switch, and what the deadline decides (with the in-process gateway;
``tests/payments/test_flexible_sandbox.py`` runs it against the Stripe sandbox)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crowdfund.auth.models import User
from crowdfund.campaigns import funding, services
from crowdfund.campaigns.funding import FlexibleFundingChange
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignKind, CampaignStatus, FundingModel
from crowdfund.errors import DomainError, NotAllowed
from crowdfund.extensions import db
from crowdfund.i18n import in_language_of
from crowdfund.money import Money
from crowdfund.operators.reasons import system_text
from crowdfund.payments import gateway as current_gateway
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.settlement import plan as settlement_plan
from crowdfund.settlement import services as settlement
from crowdfund.settlement.runner import Settler
from tests.factories import back, ended, make_campaign, make_pledge, make_user, race

S, F = CampaignStatus, FundingModel


def _story(campaign: Campaign, **changes) -> services.Story:
    values = {"title": campaign.title, "blurb": campaign.blurb, "category": campaign.category,
              "description_md": campaign.description_md, "risks_md": campaign.risks_md}
    return services.Story(**{**values, **changes})


def _turn_off(category: str = "games") -> None:
    assert funding.set_flexible_funding(make_user(operator=True), category, False,
                                        "Too many games never delivered")


# --- the founder's choice ----------------------------------------------------------------


def test_a_draft_is_all_or_nothing_unless_its_founder_chooses_flexible(session):
    founder = make_user()
    plain = services.create_campaign(founder, title="Lamp", kind=CampaignKind.REWARD,
                                     category="design", goal=Money(100_000, "USD"),
                                     duration_days=30)
    flexible = services.create_campaign(founder, title="Lamp 2", kind=CampaignKind.REWARD,
                                        category="design", goal=Money(100_000, "USD"),
                                        duration_days=30, funding_model=F.FLEXIBLE)
    session.flush()
    assert (plain.funding_model, flexible.funding_model) == (F.ALL_OR_NOTHING, F.FLEXIBLE)
    assert flexible.is_flexible and not plain.is_flexible
    # Changed while it can be edited, both ways.
    services.update_campaign(plain, founder, _story(plain), funding_model=F.FLEXIBLE)
    services.update_campaign(flexible, founder, _story(flexible),
                             funding_model=F.ALL_OR_NOTHING)
    assert (plain.funding_model, flexible.funding_model) == (F.FLEXIBLE, F.ALL_OR_NOTHING)


def test_an_equity_offering_can_never_be_flexible(session):
    founder = make_user()
    with pytest.raises(DomainError, match="An equity offering is always all-or-nothing") as e:
        services.create_campaign(founder, title="Shares", kind=CampaignKind.EQUITY,
                                 category="technology", goal=Money(100_000, "USD"),
                                 duration_days=30, funding_model=F.FLEXIBLE)
    assert e.value.field == "funding_model"
    offering = make_campaign(founder, kind=CampaignKind.EQUITY, tiers=0)
    with pytest.raises(DomainError, match="An equity offering is always all-or-nothing"):
        services.update_campaign(offering, founder, _story(offering), funding_model=F.FLEXIBLE)
    assert offering.funding_model is F.ALL_OR_NOTHING


def test_a_category_where_flexible_funding_is_off_refuses_it_at_save(session):
    _turn_off("games")
    founder = make_user()
    with pytest.raises(DomainError, match="Flexible funding is turned off for Games "
                                          "campaigns") as e:
        services.create_campaign(founder, title="Dice", kind=CampaignKind.REWARD,
                                 category="games", goal=Money(100_000, "USD"),
                                 duration_days=30, funding_model=F.FLEXIBLE)
    assert e.value.field == "funding_model"
    draft = make_campaign(founder, category="games")
    with pytest.raises(DomainError, match="Flexible funding is turned off for Games"):
        services.update_campaign(draft, founder, _story(draft), funding_model=F.FLEXIBLE)
    flexible = make_campaign(founder, category="design", funding_model=F.FLEXIBLE)
    with pytest.raises(DomainError, match="Flexible funding is turned off for Games"):
        services.update_campaign(flexible, founder, _story(flexible, category="games"))
    # All or nothing in that category is fine; so is flexible in another one.
    services.update_campaign(draft, founder, _story(draft, title="Dice, again"))
    services.update_campaign(flexible, founder, _story(flexible, category="art"))
    assert (draft.title, flexible.category) == ("Dice, again", "art")


def test_a_category_turned_off_after_the_choice_refuses_submission_and_approval(session):
    founder = make_user(verified=True)
    draft = make_campaign(founder, category="games", funding_model=F.FLEXIBLE)
    approving = make_campaign(founder, category="games", funding_model=F.FLEXIBLE,
                              status=S.SUBMITTED)
    live = make_campaign(founder, category="games", funding_model=F.FLEXIBLE, status=S.LIVE)
    _turn_off("games")
    # Its story can still be improved: only the choice is refused.
    services.update_campaign(draft, founder, _story(draft, title="Dice deluxe"))
    item = next(i for i in services.readiness(draft)
                if i.label == "Flexible funding allowed in its category")
    assert not item.done and "Operators turned it off for Games" in item.hint
    with pytest.raises(DomainError, match="Flexible funding is turned off for Games"):
        services.submit(draft, founder)
    with pytest.raises(DomainError, match="Flexible funding is turned off for Games"):
        services.approve(approving, make_user(operator=True))
    assert (draft.status, approving.status) == (S.DRAFT, S.SUBMITTED)
    # A live campaign keeps its model, and its founder can still edit its story.
    services.update_campaign(live, founder, _story(live, title="Still flexible"))
    assert live.is_flexible
    # Chosen all or nothing again, it goes to review.
    services.update_campaign(draft, founder, _story(draft), funding_model=F.ALL_OR_NOTHING)
    services.submit(draft, founder)
    assert draft.status is S.SUBMITTED


def test_the_funding_model_locks_at_launch(session):
    founder = make_user()
    live = make_campaign(founder, status=S.LIVE)
    with pytest.raises(services.CampaignLocked, match="funding model are fixed"):
        services.update_campaign(live, founder, _story(live), funding_model=F.FLEXIBLE)
    assert live.funding_model is F.ALL_OR_NOTHING


# --- the operators' switch ---------------------------------------------------------------


def test_the_operators_switch_is_audited_and_records_each_change_once(session):
    operator = make_user(operator=True)
    assert funding.set_flexible_funding(operator, "film", False, "Films ran over budget")
    assert not funding.set_flexible_funding(operator, "film", False, "Again, by mistake")
    assert funding.disabled_categories() == {"film"}
    assert funding.set_flexible_funding(operator, "film", True, "Rules changed")
    assert not funding.set_flexible_funding(operator, "film", True, "Once more")
    assert funding.disabled_categories() == set()
    rows = funding.changes()
    assert [(r.category, r.allowed, r.actor_id, r.reason) for r in rows] == [
        ("film", True, operator.id, "Rules changed"),
        ("film", False, operator.id, "Films ran over budget")]


@pytest.mark.parametrize(("who", "category", "reason", "refusal", "error"), [
    ("founder", "film", "Because I say so", "Only operators can do this", NotAllowed),
    ("operator", "knitting", "Not a category", "Choose a category from the list", DomainError),
    ("operator", "film", " no ", r"Say why \(at least 5 characters\)", DomainError),
])
def test_the_switch_refuses(session, who, category, reason, refusal, error):
    user = make_user(operator=who == "operator")
    with pytest.raises(error, match=refusal):
        funding.set_flexible_funding(user, category, False, reason)
    assert funding.disabled_categories() == set()
    assert session.scalar(sa.select(sa.func.count()).select_from(FlexibleFundingChange)) == 0


@pytest.mark.postgres_only
def test_two_operators_turning_it_off_at_once_record_one_change(app, session):
    for round_ in range(8):
        category = ("film", "games", "music", "art")[round_ % 4]
        operators = [make_user(operator=True).id, make_user(operator=True).id]
        session.commit()

        def turn_off(operator_id, category=category):
            return lambda: funding.set_flexible_funding(
                db.session.get(User, operator_id), category, False, "At the same instant")

        assert race(app, *(turn_off(i) for i in operators)) == ["ok", "ok"]
        session.expire_all()
        assert funding.disabled_categories() == {category}
        assert session.scalar(sa.select(sa.func.count()).select_from(FlexibleFundingChange)
                              .where(FlexibleFundingChange.category == category)) == 1
        assert funding.set_flexible_funding(db.session.get(User, operators[0]), category,
                                            True, "Back on for the next round")
        session.commit()
        session.execute(sa.delete(FlexibleFundingChange))
        session.commit()


# --- the deadline ------------------------------------------------------------------------


@pytest.fixture
def settler(app):
    return Settler(app, current_gateway(), worker="test-worker", sleep=lambda s: None)


def test_a_flexible_campaign_below_its_goal_is_funded_and_charges_every_active_pledge(
        app, session, settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=1_000_000,
                             funding_model=F.FLEXIBLE)
    gw = current_gateway()
    ids = [back(campaign, gw, card) for card in ("ok", "ok", "declines")]
    ended(campaign)
    session.commit()
    assert settlement_plan.plan(campaign).describe() == (
        f"{campaign.slug}: flexible funding, below its goal ($300.00 of $10,000.00): charge 3 "
        "pledges, $300.00")
    session.commit()
    report = settler.settle(campaign.id)
    assert report.outcome == "funded: charged"
    assert report.counts == {"succeeded": 2, "failed": 1}
    session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.status is S.COLLECTING
    assert (campaign.pledged_at_deadline_minor, campaign.reached_goal) == (30_000, False)
    assert campaign.flexible_below_goal
    assert sorted(db.session.get(Pledge, i).status.value for i in ids) == [
        "collected", "collected", "errored"]
    reason = campaign.transitions[-2].reason
    assert reason == ("Flexible funding: $300.00 of $10,000.00 at the deadline, charged below "
                      "the goal")
    with app.test_request_context(), in_language_of("zh_Hans", "UTC"):
        # A known text: the audit trail shows it in the reader's language.
        assert system_text(reason) == ("灵活筹款：截止时已筹$300.00，目标金额$10,000.00，"
                                       "未达到目标仍扣款")


def test_a_flexible_campaign_with_nothing_pledged_fails_and_charges_nobody(app, session,
                                                                           settler):
    campaign = make_campaign(status=S.LIVE, tiers=0, funding_model=F.FLEXIBLE)
    pending = make_pledge(campaign, status=PledgeStatus.PENDING)
    ended(campaign)
    session.commit()
    report = settler.settle(campaign.id)
    assert report.outcome == "failed: nobody charged"
    session.expire_all()
    assert db.session.get(Campaign, campaign.id).status is S.FAILED
    assert db.session.get(Pledge, pending.id).status is PledgeStatus.RELEASED


@pytest.mark.parametrize(("model", "pledged", "funded"), [
    (F.ALL_OR_NOTHING, 99_999, False), (F.ALL_OR_NOTHING, 100_000, True),
    (F.FLEXIBLE, 0, False), (F.FLEXIBLE, 1, True), (F.FLEXIBLE, 100_000, True),
])
def test_what_the_deadline_decides(session, model, pledged, funded):
    campaign = make_campaign(status=S.LIVE, tiers=0, goal_minor=100_000,
                             funding_model=model)
    if pledged:
        make_pledge(campaign, amount_minor=pledged)
    ended(campaign)
    assert settlement.decide_at_deadline(campaign)
    assert campaign.status is (S.FUNDED if funded else S.FAILED)
    assert campaign.flexible_below_goal is (model is F.FLEXIBLE and pledged < 100_000)

