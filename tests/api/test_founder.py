"""A founder through the API: their campaigns, backers a page at a time, numbers, updates;
another founder's campaign does not exist."""

from __future__ import annotations

import pytest

from crowdfund.auth.api_tokens import Scope
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import CampaignUpdate
from crowdfund.extensions import db
from tests.factories import make_campaign, make_pledge, make_user


@pytest.fixture
def founder():
    user = make_user(verified=True)
    db.session.commit()
    return user


def test_my_campaigns_drafts_included_others_never(client, bearer, founder):
    live = make_campaign(founder, status=CampaignStatus.LIVE)
    draft = make_campaign(founder)
    make_campaign(status=CampaignStatus.LIVE)  # another founder's
    db.session.commit()
    items = client.get("/api/v1/me/campaigns", headers=bearer(founder, Scope.FOUNDER)).json
    assert sorted(i["id"] for i in items["items"]) == sorted([str(live.id), str(draft.id)])


def test_backers_come_a_page_at_a_time_without_card_data(client, bearer, founder):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE)
    pledges = [make_pledge(campaign, amount_minor=1000 + i) for i in range(5)]
    db.session.commit()
    headers = bearer(founder, Scope.FOUNDER)
    seen, cursor = [], None
    while True:
        page = client.get(f"/api/v1/me/campaigns/{campaign.id}/backers", headers=headers,
                          query_string={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.json
        seen += page.json["items"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert [b["pledge_id"] for b in seen] == [str(p.id) for p in pledges]
    assert seen[0]["amount"]["amount_minor"] == 1000
    assert not any(key.startswith("card") for key in seen[0])
    assert b"4242" not in str(seen).encode()


def test_stats_and_posting_an_update(client, bearer, founder):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE)
    make_pledge(campaign, amount_minor=2000)
    db.session.commit()
    headers = bearer(founder, Scope.FOUNDER)
    stats = client.get(f"/api/v1/me/campaigns/{campaign.id}/stats", headers=headers).json
    assert stats["pledged"]["amount_minor"] == 2000 and stats["backers"] == 1
    assert sum(d["count"] for d in stats["pledges_per_day"]) == 1
    short = client.post(f"/api/v1/me/campaigns/{campaign.id}/updates", headers=headers,
                        json={"title": "Hi", "body_markdown": "Too short"})
    assert short.status_code == 400
    assert short.json["errors"] == {"body_markdown": [
        "Write at least a few sentences (20 characters)."]}
    posted = client.post(f"/api/v1/me/campaigns/{campaign.id}/updates", headers=headers,
                         json={"title": "We shipped", "body_markdown": "Every box left the "
                               "warehouse today.", "backers_only": True})
    assert posted.status_code == 201 and posted.json["number"] == 1
    assert db.session.get(CampaignUpdate, int(posted.json["id"])).visibility == "backers"
    public = client.get(f"/api/v1/campaigns/{campaign.id}/updates").json["items"]
    assert public == []  # backers only: not in the public list


def test_another_founders_campaign_does_not_exist(client, bearer, founder):
    other = make_campaign(status=CampaignStatus.LIVE)
    db.session.commit()
    headers = bearer(founder, Scope.FOUNDER)
    for method, part in (("get", "backers"), ("get", "stats"), ("post", "updates")):
        answer = getattr(client, method)(f"/api/v1/me/campaigns/{other.id}/{part}",
                                         headers=headers, json={
                                             "title": "x", "body_markdown": "y" * 30})
        assert answer.status_code == 404, part


def test_a_backer_token_cannot_read_a_founders_things(client, bearer, founder):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE)
    db.session.commit()
    answer = client.get(f"/api/v1/me/campaigns/{campaign.id}/stats",
                        headers=bearer(founder, Scope.READ, Scope.PLEDGE))
    assert answer.status_code == 403
