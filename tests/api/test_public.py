"""The API's public reads: the campaign list by cursor, one campaign, its parts; problem
details; ETags; the language; no session."""

from __future__ import annotations

import pytest

from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import Comment
from crowdfund.extensions import db
from tests.factories import live_offering, make_add_on, make_campaign, make_pledge, make_user

PROBLEM = "application/problem+json"


def _live(n: int, **kwargs) -> list[int]:
    ids = [make_campaign(status=CampaignStatus.LIVE, days_left=5 + i, **kwargs).id
           for i in range(n)]
    db.session.commit()
    return ids


def test_the_list_walks_every_live_campaign_once_by_cursor_in_each_sort(client):
    ids = _live(7)
    make_campaign(status=CampaignStatus.DRAFT)  # never listed
    db.session.commit()
    for sort in ("newest", "ending", "funded"):
        seen, cursor = [], None
        for _page in range(10):
            answer = client.get("/api/v1/campaigns", query_string={
                "sort": sort, "limit": 3, **({"cursor": cursor} if cursor else {})})
            assert answer.status_code == 200, answer.json
            seen += [item["id"] for item in answer.json["items"]]
            cursor = answer.json["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(str(i) for i in ids), sort
        assert len(seen) == len(set(seen))
    ending = client.get("/api/v1/campaigns?sort=ending&limit=50").json["items"]
    assert [i["id"] for i in ending] == [str(i) for i in ids]  # soonest deadline first


def test_a_campaign_in_the_list_has_money_as_minor_units_and_times_with_the_offset(client):
    campaign = make_campaign(status=CampaignStatus.LIVE, goal_minor=100_000)
    make_pledge(campaign, amount_minor=2550)
    db.session.commit()
    item = client.get("/api/v1/campaigns").json["items"][0]
    assert item["id"] == str(campaign.id)
    assert item["goal"] == {"amount_minor": 100_000, "currency": "USD",
                            "formatted": "$1,000.00"}
    assert item["pledged"]["amount_minor"] == 2550 and item["backers"] == 1
    assert item["percent_funded"] == 2
    assert item["deadline"].endswith("+00:00")
    assert item["founder"] == {"id": str(campaign.founder_id),
                               "display_name": campaign.founder.display_name}


def test_filters_narrow_the_list(client):
    art = make_campaign(status=CampaignStatus.LIVE, category="art", title="Paint the town")
    make_campaign(status=CampaignStatus.LIVE, category="music")
    equity = live_offering()
    db.session.commit()
    assert [i["id"] for i in client.get("/api/v1/campaigns?category=art").json["items"]] == [
        str(art.id)]
    assert [i["id"] for i in client.get("/api/v1/campaigns?q=paint").json["items"]] == [
        str(art.id)]
    kinds = client.get("/api/v1/campaigns?kind=equity").json["items"]
    assert [i["id"] for i in kinds] == [str(equity.id)] and kinds[0]["kind"] == "equity"


@pytest.mark.parametrize("query", ["sort=sideways", "limit=0", "limit=51", "status=draft",
                                   "category=nonsense", "limit=abc"])
def test_a_bad_query_is_a_problem_naming_the_field(client, query):
    answer = client.get(f"/api/v1/campaigns?{query}")
    assert answer.status_code == 422 and answer.mimetype == PROBLEM
    field = query.split("=")[0]
    assert answer.json["status"] == 422 and field in answer.json["errors"]
    assert answer.json["type"].endswith("problem-422") and answer.json["title"]


@pytest.mark.parametrize("cursor", ["nonsense", "W10", "WyJuZXdlc3QiLFsxXV0",
                                    "WyJlbmRpbmciLFt7InQiOiJ4In0sMV1d"])
def test_a_cursor_we_did_not_give_is_refused_by_name(client, cursor):
    _live(1)
    answer = client.get("/api/v1/campaigns", query_string={"cursor": cursor})
    assert answer.status_code == 400 and answer.mimetype == PROBLEM
    assert answer.json["type"].endswith("problem-cursor-invalid")
    assert "cursor" in answer.json["errors"]


def test_one_campaign_has_its_rewards_units_left_add_ons_and_story(client):
    campaign = make_campaign(status=CampaignStatus.LIVE, tiers=2)
    campaign.tiers[0].quantity_limit, campaign.tiers[0].claimed = 10, 4
    make_add_on(campaign, price_minor=700, limit=5)
    db.session.commit()
    body = client.get(f"/api/v1/campaigns/{campaign.id}").json
    assert [t["units_left"] for t in body["tiers"]] == [6, None]
    assert body["tiers"][0]["minimum"]["amount_minor"] == 1000
    assert body["add_ons"][0]["price"]["amount_minor"] == 700
    assert body["add_ons"][0]["units_left"] == 5
    assert "<p>" in body["story_html"] and body["offering"] is None


def test_an_offering_shows_its_terms(client):
    campaign = live_offering()
    db.session.commit()
    body = client.get(f"/api/v1/campaigns/{campaign.id}").json
    assert body["kind"] == "equity"
    assert body["offering"]["price_per_share"]["amount_minor"] == 130
    assert body["offering"]["target"] == body["goal"]


@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.SUBMITTED])
def test_a_campaign_not_public_is_not_found_in_every_part(client, status):
    campaign = make_campaign(status=status)
    db.session.commit()
    for part in ("", "/budget", "/updates", "/comments", "/series"):
        answer = client.get(f"/api/v1/campaigns/{campaign.id}{part}")
        assert answer.status_code == 404 and answer.mimetype == PROBLEM, part
        assert answer.json["title"] == "Not found"


def test_an_unknown_path_and_method_are_problems_too(client):
    assert client.get("/api/v1/nothing").mimetype == PROBLEM
    answer = client.delete("/api/v1/campaigns")
    assert answer.status_code == 405 and answer.mimetype == PROBLEM
    assert "GET" in answer.headers["Allow"]


def test_budget_updates_comments_and_series(client):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    backer = make_user()
    make_pledge(campaign, backer, amount_minor=3000)
    for i in range(3):
        db.session.add(Comment(campaign_id=campaign.id, author_id=backer.id, body=f"Hi {i}"))
    db.session.commit()
    budget = client.get(f"/api/v1/campaigns/{campaign.id}/budget").json
    assert budget["lines"][0]["label"] == "Making it"
    assert budget["total"]["amount_minor"] == campaign.goal_minor // 2
    comments = client.get(f"/api/v1/campaigns/{campaign.id}/comments?limit=2").json
    assert [c["body"] for c in comments["items"]] == ["Hi 2", "Hi 1"]
    assert comments["items"][0]["author_is_backer"] is True
    rest = client.get(f"/api/v1/campaigns/{campaign.id}/comments",
                      query_string={"limit": 2, "cursor": comments["next_cursor"]}).json
    assert [c["body"] for c in rest["items"]] == ["Hi 0"] and rest["next_cursor"] is None
    series = client.get(f"/api/v1/campaigns/{campaign.id}/series").json
    assert series["days"][-1]["total_minor"] == 3000 and series["currency"] == "USD"


def test_a_public_read_has_an_etag_and_answers_304_when_unchanged(client):
    campaign_id = _live(1)[0]
    first = client.get(f"/api/v1/campaigns/{campaign_id}")
    assert first.headers["ETag"] and "public" in first.headers["Cache-Control"]
    again = client.get(f"/api/v1/campaigns/{campaign_id}",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_accept_language_picks_the_language_and_no_cookie_is_read_or_set(client, app):
    campaign_id = _live(1)[0]
    answer = client.get(f"/api/v1/campaigns/{campaign_id + 999}",
                        headers={"Accept-Language": "zh-CN"})
    assert answer.json["title"] != "Not found"  # in Chinese
    client.set_cookie("lang", "en")
    money = client.get(f"/api/v1/campaigns/{campaign_id}",
                       headers={"Accept-Language": "zh-CN"}).json["goal"]["formatted"]
    assert money.startswith("US$")
    assert "Set-Cookie" not in answer.headers


def test_the_document_and_its_reference_page(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/campaigns/{campaign_id}" in document["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"GET /api/v1/campaigns" in page.data
    assert b"<script" not in page.data.split(b"<main")[-1].split(b"</main>")[0]


def test_invalid_input_is_explained_in_the_requests_language(client):
    english = client.get("/api/v1/campaigns?limit=0&sort=sideways").json["errors"]
    assert english == {"limit": ["Choose a number from 1 to 50."],
                       "sort": ["Choose one of: newest, ending, funded."]}
    chinese = client.get("/api/v1/campaigns?limit=0&sort=sideways",
                         headers={"Accept-Language": "zh-CN"}).json
    assert chinese["errors"]["limit"] == ["请选择 1 到 50 之间的数字。"]
    assert chinese["title"] == "输入无效"


def test_a_campaign_has_its_faq_and_reward_pictures(client):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    campaign.tiers[0].image_path = "rewards/abc.png"
    db.session.add(FaqEntry(campaign_id=campaign.id, question="Ships to Hong Kong?",
                            answer_md="Yes, **shipping extra**."))
    db.session.commit()
    body = client.get(f"/api/v1/campaigns/{campaign.id}").json
    assert body["faq"] == [{"question": "Ships to Hong Kong?",
                            "answer_html": "<p>Yes, <strong>shipping extra</strong>.</p>\n"}]
    assert body["tiers"][0]["image_url"].endswith("/uploads/rewards/abc.png")


@pytest.mark.parametrize("query", [{"q": "a\x00b"}, {"cursor": "\x00"}, {"q": "\x07"}])
def test_control_characters_in_a_query_are_refused_at_their_field(client, query):
    answer = client.get("/api/v1/campaigns", query_string=query)
    assert answer.status_code == 422 and list(answer.json["errors"]) == list(query)
    assert answer.json["errors"][next(iter(query))] == ["Control characters are not allowed "
                                                        "here."]
