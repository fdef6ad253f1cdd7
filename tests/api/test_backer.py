"""A backer through the API (the in-process fake gateway): make a pledge, confirm the card
as a mobile SDK would, see it where the pages show it, change it, cancel it, with the
pages' rules and refusals; follows and comments; scopes, revoked and expired tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.auth.api_tokens import ApiToken, Scope
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.pledges import services
from crowdfund.pledges.models import Pledge, PledgeStatus
from crowdfund.pledges.totals import totals_of
from tests.factories import CARDS, count_queries, make_add_on, make_campaign, make_pledge, make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def live():
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=2)
    db.session.commit()
    return campaign


def _pledge(client, headers, campaign, **body):
    return client.post("/api/v1/me/pledges", headers=headers, json={
        "campaign_id": str(campaign.id), "tier_id": str(campaign.tiers[0].id),
        "amount_minor": 2500, "currency": "USD", **body})


def test_a_pledge_made_through_the_api_is_the_pledge_the_pages_show(client, auth, bearer,
                                                                      live, gw):
    backer = make_user()
    headers = bearer(backer, Scope.READ, Scope.PLEDGE)
    made = _pledge(client, headers, live)
    assert made.status_code == 201, made.json
    assert made.json["status"] == "pending" and made.json["amount"]["amount_minor"] == 2500
    intent = made.json["setup_intent"]
    assert intent["client_secret"] and made.headers["Location"].endswith(made.json["id"])
    gw.confirm_setup(intent["id"], CARDS["ok"])  # what the mobile SDK does
    confirmed = client.post(f"/api/v1/me/pledges/{made.json['id']}/confirm", headers=headers)
    assert confirmed.status_code == 200 and confirmed.json["status"] == "active"
    assert confirmed.json["card"]["last4"] == "4242"
    # The same pledge on the backer's page, and in the campaign's totals.
    db.session.expire_all()
    assert totals_of(live).pledged.amount == 2500 and totals_of(live).backers == 1
    auth.login_as(backer)
    page = client.get(f"/pledges/{made.json['id']}")
    assert page.status_code == 200 and b"$25.00" in page.data
    listed = client.get("/api/v1/me/pledges", headers=headers).json["items"]
    assert [p["id"] for p in listed] == [made.json["id"]]


def test_the_rules_refuse_what_the_pages_refuse_with_the_same_words(client, auth, bearer,
                                                                      live):
    backer = make_user()
    headers = bearer(backer, Scope.PLEDGE)
    too_little = _pledge(client, headers, live, amount_minor=500)
    assert too_little.status_code == 400 and too_little.mimetype == PROBLEM
    assert too_little.json["errors"] == {"amount_minor": ["Pledge at least $10.00 for this "
                                                          "reward."]}
    auth.login_as(backer)
    page = client.post(f"/campaigns/{live.slug}/pledge", data={
        "tier": str(live.tiers[0].id), "amount": "5"})
    assert page.status_code == 400 and b"Pledge at least $10.00 for this reward." in page.data
    wrong_currency = _pledge(client, headers, live, currency="EUR")
    assert wrong_currency.json["errors"] == {"amount_minor": ["Pledge in USD."]}
    no_such_tier = _pledge(client, headers, live, tier_id="999999")
    assert no_such_tier.json["errors"] == {"tier_id": ["Choose one of the rewards."]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0


def test_a_sold_out_reward_and_a_second_pledge_are_conflicts(client, bearer, live, gw):
    live.tiers[0].quantity_limit, live.tiers[0].claimed = 1, 1
    db.session.commit()
    sold_out = _pledge(client, bearer(make_user(), Scope.PLEDGE), live)
    assert sold_out.status_code == 409
    assert sold_out.json["type"].endswith("problem-tier-sold-out")
    headers = bearer(make_user(), Scope.PLEDGE)
    first = _pledge(client, headers, live, tier_id=None, amount_minor=1000)
    assert first.status_code == 201
    gw.confirm_setup(first.json["setup_intent"]["id"], CARDS["ok"])
    assert client.post(f"/api/v1/me/pledges/{first.json['id']}/confirm",
                       headers=headers).status_code == 200
    again = _pledge(client, headers, live, tier_id=None, amount_minor=1000)
    assert again.status_code == 409 and again.json["type"].endswith("problem-already-backing")


def test_add_ons_are_priced_into_the_amount_and_unknown_ones_refused(client, bearer, live):
    add_on = make_add_on(live, price_minor=700)
    db.session.commit()
    headers = bearer(make_user(), Scope.PLEDGE)
    short = _pledge(client, headers, live, amount_minor=2000, add_ons=[{"add_on_id": str(add_on.id),
                                                     "quantity": 2}])
    assert short.status_code == 400 and "amount_minor" in short.json["errors"]
    unknown = _pledge(client, headers, live, add_ons=[{"add_on_id": "9999", "quantity": 1}])
    assert unknown.json["errors"] == {"add_ons": ["Choose one of the add-ons."]}
    made = _pledge(client, headers, live, amount_minor=1000 + 1400,
                   add_ons=[{"add_on_id": str(add_on.id), "quantity": 2}])
    assert made.status_code == 201
    assert made.json["add_ons"] == [{"id": str(add_on.id), "name": add_on.name,
                                     "quantity": 2, "price": made.json["add_ons"][0]["price"]}]
    assert made.json["add_ons"][0]["price"]["amount_minor"] == 1400


def test_change_and_cancel_follow_the_pledge_rules(client, bearer, live, gw):
    backer = make_user()
    live.goal_minor = 3000
    pledge = make_pledge(live, backer, amount_minor=3000)
    db.session.commit()
    headers = bearer(backer, Scope.PLEDGE)
    changed = client.patch(f"/api/v1/me/pledges/{pledge.id}", headers=headers, json={
        "tier_id": None, "amount_minor": 4000, "currency": "USD"})
    assert changed.status_code == 200, changed.json
    assert changed.json["amount"]["amount_minor"] == 4000
    # The last 24 hours: no lowering or cancelling below the goal.
    live.deadline = utcnow() + timedelta(hours=2)
    db.session.commit()
    lower = client.patch(f"/api/v1/me/pledges/{pledge.id}", headers=headers, json={
        "tier_id": None, "amount_minor": 1000, "currency": "USD"})
    assert lower.status_code == 409 and "24 hours" in lower.json["detail"]
    assert lower.json["type"].endswith("problem-last-day-rule")
    cancelled = client.post(f"/api/v1/me/pledges/{pledge.id}/cancel", headers=headers)
    assert cancelled.status_code == 409 and "24 hours" in cancelled.json["detail"]
    live.deadline = utcnow() + timedelta(days=5)
    db.session.commit()
    cancelled = client.post(f"/api/v1/me/pledges/{pledge.id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"


def test_another_persons_pledge_does_not_exist(client, bearer, live):
    pledge = make_pledge(live, make_user())
    db.session.commit()
    headers = bearer(make_user())
    for method, path in (("get", ""), ("patch", ""), ("post", "/card"),
                         ("post", "/confirm"), ("post", "/cancel")):
        answer = getattr(client, method)(f"/api/v1/me/pledges/{pledge.id}{path}",
                                         headers=headers, json={
                                             "amount_minor": 1000, "currency": "USD"})
        assert answer.status_code == 404 and answer.mimetype == PROBLEM, (method, path)


def test_tokens_without_the_scope_revoked_expired_or_missing_are_refused(client, bearer, live):
    backer = make_user()
    reader = bearer(backer, Scope.READ)
    refused = _pledge(client, reader, live)
    assert refused.status_code == 403
    assert refused.json["type"].endswith("problem-insufficient-scope")
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert client.get("/api/v1/me", headers=reader).status_code == 200
    assert client.get("/api/v1/me").json["type"].endswith("problem-token-missing")
    bogus = {"Authorization": "Bearer cf_notarealtoken"}
    assert client.get("/api/v1/me", headers=bogus).status_code == 401
    token = db.session.scalars(sa.select(ApiToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    expired = client.get("/api/v1/me", headers=reader)
    assert expired.status_code == 401 and expired.json["type"].endswith("problem-token-invalid")


def test_the_session_cookie_is_not_accepted(client, auth, live):
    backer = make_user()
    db.session.commit()
    auth.login_as(backer)
    assert client.get("/pledges").status_code == 200  # signed in on the pages
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert client.post("/api/v1/me/pledges", json={}).status_code == 401


def test_follow_and_comment(client, bearer, live):
    backer = make_user()
    headers = bearer(backer, Scope.READ, Scope.PLEDGE)
    assert client.put(f"/api/v1/me/follows/{live.id}", headers=headers).json["following"]
    assert client.get(f"/api/v1/me/follows/{live.id}", headers=headers).json["following"]
    assert not client.delete(f"/api/v1/me/follows/{live.id}",
                             headers=headers).json["following"]
    posted = client.post(f"/api/v1/campaigns/{live.id}/comments", headers=headers,
                         json={"body": "When will it ship?", "kind": "question"})
    assert posted.status_code == 201 and posted.json["kind"] == "question"
    read = client.get(f"/api/v1/campaigns/{live.id}/comments").json["items"]
    assert [c["body"] for c in read] == ["When will it ship?"]
    empty = client.post(f"/api/v1/campaigns/{live.id}/comments", headers=headers,
                        json={"body": "   "})
    assert empty.status_code == 400 and empty.json["errors"] == {"body": ["Write something "
                                                                          "first."]}


def test_a_pledge_left_pending_is_released_as_on_the_pages(client, bearer, live):
    headers = bearer(make_user(), Scope.PLEDGE)
    made = _pledge(client, headers, live)
    services.release_abandoned(utcnow() + timedelta(hours=2))
    db.session.commit()
    assert db.session.get(Pledge, int(made.json["id"])).status is PledgeStatus.CANCELLED


def test_the_list_of_pledges_costs_the_same_queries_for_one_pledge_or_many(app, client,
                                                                           bearer):
    backer = make_user()
    headers = bearer(backer, Scope.READ)
    campaigns = [make_campaign(status=CampaignStatus.LIVE, tiers=1) for _ in range(5)]
    make_pledge(campaigns[0], backer)
    db.session.commit()
    with count_queries(app) as one:
        assert len(client.get("/api/v1/me/pledges", headers=headers).json["items"]) == 1
    for campaign in campaigns[1:]:
        make_pledge(campaign, backer)
    db.session.commit()
    with count_queries(app) as five:
        assert len(client.get("/api/v1/me/pledges", headers=headers).json["items"]) == 5
    assert len(five) == len(one)
