"""Flexible funding through the pages (issue 28): the founder chooses it in the studio (an
offering, or a category where operators turned it off, refused next to the field); the
campaign page, the discover card, the pledge form and the pledge page say so plainly;
operators turn it off per category on their page, with the reason in its history."""

from __future__ import annotations

import re

import sqlalchemy as sa

from crowdfund.campaigns import funding
from crowdfund.campaigns.funding import FlexibleFundingChange
from crowdfund.campaigns.models import Campaign
from crowdfund.campaigns.states import CampaignStatus, FundingModel
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.pledges.models import PledgeStatus
from tests.factories import AuthActions, make_campaign, make_pledge, make_user, story_form

S, F = CampaignStatus, FundingModel
NEW = {"title": "Solar kettle", "kind": "reward", "category": "design", "currency": "USD",
       "goal": "5,000", "duration_days": "30"}
SAYS = "Flexible funding: the founder keeps what is raised, whether or not the goal is reached"


def _error_next_to(page: str, field: str) -> str:
    """The error shown under ``field`` (its ``<div id="field-error">``), as text."""
    found = re.search(rf'<div id="{field}-error">(.*?)</div>', page, re.S)
    assert found, f"no error next to {field}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _models(app) -> list[FundingModel]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Campaign.funding_model).order_by(Campaign.id)))


# --- the studio --------------------------------------------------------------------------


def test_a_founder_chooses_flexible_funding_when_starting_a_campaign(app, client, founder):
    page = client.get("/studio/new").get_data(as_text=True)
    assert 'name="funding_model" type="radio" value="flexible"' in page
    assert client.post("/studio/new", data=NEW).status_code == 302
    assert client.post("/studio/new", data={**NEW, "title": "Solar kettle 2",
                                            "funding_model": "flexible"}).status_code == 302
    assert _models(app) == [F.ALL_OR_NOTHING, F.FLEXIBLE]


def test_an_offering_is_refused_flexible_funding_next_to_the_field(app, client, founder):
    response = client.post("/studio/new", data={**NEW, "kind": "equity",
                                                "funding_model": "flexible"})
    assert response.status_code == 400
    assert _error_next_to(response.get_data(as_text=True), "funding_model") == (
        "An equity offering is always all-or-nothing: investors are charged only if it "
        "reaches its target by the deadline.")
    assert _models(app) == []


def test_a_category_turned_off_refuses_flexible_funding_at_save(app, client, session, founder,
                                                                draft):
    funding.set_flexible_funding(make_user(operator=True), "design", False, "Many overruns")
    session.commit()
    response = client.post("/studio/new", data={**NEW, "funding_model": "flexible"})
    assert response.status_code == 400
    assert _error_next_to(response.get_data(as_text=True), "funding_model") == (
        "Flexible funding is turned off for Design campaigns: choose all-or-nothing, or "
        "another category.")
    edit = client.post(f"/studio/{draft.id}/edit",
                       data=story_form(draft, funding_model="flexible"))
    assert edit.status_code == 400
    assert "Flexible funding is turned off for Design" in _error_next_to(
        edit.get_data(as_text=True), "funding_model")
    # The form says where it is off before anyone tries.
    assert "Flexible funding is turned off for: Design." in client.get(
        f"/studio/{draft.id}/edit").get_data(as_text=True)
    assert _models(app) == [F.ALL_OR_NOTHING]
    # In another category it is saved.
    assert client.post(f"/studio/{draft.id}/edit", data=story_form(
        draft, category="art", funding_model="flexible")).status_code == 302
    assert _models(app) == [F.FLEXIBLE]


def test_the_model_is_chosen_before_launch_and_shown_in_the_studio(app, client, session,
                                                                   founder, draft):
    assert 'name="funding_model"' in client.get(f"/studio/{draft.id}/edit").get_data(
        as_text=True)
    live = make_campaign(founder, status=S.LIVE, funding_model=F.FLEXIBLE)
    session.commit()
    page = client.get(f"/studio/{live.id}/edit").get_data(as_text=True)
    assert 'name="funding_model"' not in page
    assert "funding model (flexible funding)" in page
    overview = client.get(f"/studio/{live.id}").get_data(as_text=True)
    assert ("Flexible funding: backers are charged at the deadline whatever the total, and you "
            "keep what is raised.") in overview
    assert "All-or-nothing: backers are charged only if" in client.get(
        f"/studio/{draft.id}").get_data(as_text=True)


# --- what backers read -------------------------------------------------------------------


def test_the_campaign_page_and_discover_card_say_flexible(app, client, session):
    flexible = make_campaign(status=S.LIVE, funding_model=F.FLEXIBLE, title="Keep It Lamp")
    plain = make_campaign(status=S.LIVE, title="All Or Nothing Lamp")
    session.commit()
    page = client.get(f"/campaigns/{flexible.slug}").get_data(as_text=True)
    assert SAYS in page and "All or nothing" not in page
    other = client.get(f"/campaigns/{plain.slug}").get_data(as_text=True)
    assert SAYS not in other and "All or nothing. This campaign will only be funded" in other
    cards = client.get("/discover").get_data(as_text=True).split('<article class="card">')[1:]
    badge = '<span class="badge badge-flexible">Flexible funding</span>'
    assert {("Keep It Lamp" in card, badge in card) for card in cards} == {(True, True),
                                                                          (False, False)}


def test_a_flexible_campaign_funded_below_its_goal_says_so_and_its_backer_was_charged(
        app, client, session):
    campaign = make_campaign(status=S.COLLECTING, funding_model=F.FLEXIBLE, days_left=-3,
                             goal_minor=100_000)
    campaign.pledged_at_deadline_minor, campaign.backers_at_deadline = 5_000, 1
    backer = make_user()
    pledge = make_pledge(campaign, backer, status=PledgeStatus.COLLECTED)
    session.commit()
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Funding has ended below the goal. As a flexible campaign, the founder keeps what" \
           " was raised, and backers are charged." in page
    assert "Successfully funded" not in page and "All or nothing" not in page
    AuthActions(client).login_as(backer)
    mine = client.get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert ("The campaign did not reach its goal; as a flexible campaign, the founder keeps "
            "what was raised, and $50.00 was charged to your card.") in mine
    assert "reached its goal and" not in mine


def test_the_pledge_form_and_the_pledge_page_say_flexible(app, client, session):
    campaign = make_campaign(status=S.LIVE, funding_model=F.FLEXIBLE)
    backer = make_user()
    pledge = make_pledge(campaign, backer)
    other = make_campaign(status=S.LIVE, funding_model=F.FLEXIBLE)
    session.commit()
    AuthActions(client).login_as(backer)
    form = client.get(f"/campaigns/{other.slug}/pledge").get_data(as_text=True)
    assert "Flexible funding: your card is saved now and charged at the deadline" in form
    assert "whether or not the campaign reaches its goal of $1,000.00" in form
    assert "All or nothing" not in form
    page = client.get(f"/pledges/{pledge.id}").get_data(as_text=True).split("<footer")[0]
    assert "Flexible funding: you will be charged $50.00 at the deadline" in page
    assert "only if" not in page


# --- the operators' switch ---------------------------------------------------------------


def test_operators_turn_flexible_funding_off_per_category_with_a_reason(app, client, session):
    operator = make_user(operator=True, name="Olga")
    session.commit()
    AuthActions(client).login_as(operator)
    page = client.get("/operators/funding").get_data(as_text=True)
    assert "Flexible funding by category" in page and "never been turned off" in page
    refused = client.post("/operators/funding", data={"category": "games", "allowed": "off",
                                                      "reason": "no"})
    assert refused.status_code == 400
    assert _error_next_to(refused.get_data(as_text=True), "reason") == (
        "Between 5 and 500 characters.")
    done = client.post("/operators/funding", data={"category": "games", "allowed": "off",
                                                   "reason": "Games kept missing delivery"})
    assert done.status_code == 302
    page = client.get("/operators/funding").get_data(as_text=True)
    assert "Flexible funding is now off for Games" in page
    games = page.split("<td>Games</td>")[1].split("</tr>")[0]
    assert "Off" in games
    assert "Games kept missing delivery" in page and "Olga" in page
    with app.app_context():
        assert funding.disabled_categories() == {"games"}
        row = db.session.scalar(sa.select(FlexibleFundingChange))
        assert (row.category, row.allowed, row.actor_id) == ("games", False, operator.id)
        assert row.created_at <= utcnow()
