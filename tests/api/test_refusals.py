"""Refusals the document promises, each reached on purpose: invalid input (422, naming the
field), a rule (400, 409), too many comments (429)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crowdfund.auth.api_tokens import Scope
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from crowdfund.pledges.models import PledgeStatus
from tests.factories import CARDS, make_campaign, make_pledge, make_user


@pytest.fixture
def live():
    campaign = make_campaign(make_user(verified=True), status=CampaignStatus.LIVE)
    db.session.commit()
    return campaign


@pytest.mark.parametrize("path", ["/api/v1/me/pledges", "/api/v1/campaigns/{id}/comments",
                                  "/api/v1/me/campaigns/{id}/backers"])
def test_a_page_size_out_of_range_is_invalid_input(client, bearer, live, path):
    headers = bearer(live.founder)
    answer = client.get(path.format(id=live.id), headers=headers, query_string={"limit": 0})
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["limit"]


def test_bodies_missing_what_they_need_are_invalid_input(client, bearer, live):
    headers = bearer(live.founder)
    comment = client.post(f"/api/v1/campaigns/{live.id}/comments", headers=headers, json={})
    assert comment.status_code == 422 and "body" in comment.json["errors"]
    update = client.post(f"/api/v1/me/campaigns/{live.id}/updates", headers=headers,
                         json={"body_markdown": "x" * 40})
    assert update.status_code == 422 and "title" in update.json["errors"]
    bad_amount = client.post("/api/v1/me/pledges", headers=headers, json={
        "campaign_id": str(live.id), "amount_minor": 12.5, "currency": "USD"})
    assert bad_amount.status_code == 422 and "amount_minor" in bad_amount.json["errors"]


def test_too_many_comments_in_a_short_time(client, bearer, live):
    headers = bearer(make_user(), Scope.PLEDGE)
    statuses = [client.post(f"/api/v1/campaigns/{live.id}/comments", headers=headers,
                            json={"body": f"Comment {i}"}).status_code for i in range(6)]
    assert statuses == [201] * 5 + [429]


def test_a_closed_pledge_cannot_be_changed_or_cancelled_again(client, bearer, live):
    backer = make_user()
    pledge = make_pledge(live, backer, status=PledgeStatus.CANCELLED)
    db.session.commit()
    headers = bearer(backer, Scope.PLEDGE)
    changed = client.patch(f"/api/v1/me/pledges/{pledge.id}", headers=headers,
                           json={"amount_minor": 2000, "currency": "USD"})
    assert changed.status_code == 400
    assert changed.json["detail"] == "This pledge can no longer be changed."
    cancelled = client.post(f"/api/v1/me/pledges/{pledge.id}/cancel", headers=headers)
    assert cancelled.status_code == 400
    assert cancelled.json["detail"] == "This pledge is already closed."


def test_a_card_confirmed_after_the_deadline_is_a_conflict(client, bearer, live, gw):
    headers = bearer(make_user(), Scope.PLEDGE)
    made = client.post("/api/v1/me/pledges", headers=headers, json={
        "campaign_id": str(live.id), "amount_minor": 2000, "currency": "USD"}).json
    gw.confirm_setup(made["setup_intent"]["id"], CARDS["ok"])
    live.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    late = client.post(f"/api/v1/me/pledges/{made['id']}/confirm", headers=headers)
    assert late.status_code == 409
    assert late.json["type"].endswith("problem-campaign-closed")


def test_control_characters_in_a_body_are_refused_at_their_field(client, bearer, live):
    headers = bearer(live.founder)
    update = client.post(f"/api/v1/me/campaigns/{live.id}/updates", headers=headers,
                         json={"title": "Nul\x00", "body_markdown": "x" * 40})
    assert update.status_code == 422 and list(update.json["errors"]) == ["title"]
    comment = client.post(f"/api/v1/campaigns/{live.id}/comments", headers=headers,
                          json={"body": "Hi\x00"})
    assert comment.status_code == 422 and list(comment.json["errors"]) == ["body"]
