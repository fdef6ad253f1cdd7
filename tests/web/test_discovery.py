"""Home, discover, search, categories, pagination and the totals shown on campaign pages."""

import re

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.pledges.models import PledgeStatus
from tests.factories import make_campaign, make_pledge, make_user

S = CampaignStatus


def _titles(html: str) -> list[str]:
    return re.findall(r"<h3>(.*?)</h3>", html)


@pytest.fixture
def catalogue(session):
    ada = make_user(name="Ada Lovelace", verified=True)
    bob = make_user(name="Bob Builder")
    kettle = make_campaign(ada, status=S.LIVE, title="Solar Kettle", category="design",
                           days_left=20, blurb="Boils water with sunshine")
    comic = make_campaign(bob, status=S.LIVE, title="Night Comic", category="comics",
                          days_left=2, goal_minor=10_000)
    game = make_campaign(bob, status=S.LIVE, title="Board Game", category="games", days_left=10)
    make_campaign(ada, status=S.DRAFT, title="Secret Draft", category="design")
    make_campaign(ada, status=S.SUBMITTED, title="Pending Review", category="design")
    make_campaign(ada, status=S.CANCELLED, title="Cancelled One", category="design")
    backer = make_user()
    make_pledge(comic, backer, amount_minor=5_000)
    make_pledge(comic, amount_minor=2_500)
    make_pledge(comic, amount_minor=9_999, status=PledgeStatus.CANCELLED)
    make_pledge(comic, amount_minor=9_999, status=PledgeStatus.PENDING)
    make_pledge(game, backer, amount_minor=1_000)
    session.commit()
    return {"kettle": kettle, "comic": comic, "game": game}


def test_home_shows_only_live_campaigns(client, catalogue):
    page = client.get("/").get_data(as_text=True)
    for title in ("Solar Kettle", "Night Comic", "Board Game"):
        assert title in page
    for title in ("Secret Draft", "Pending Review", "Cancelled One"):
        assert title not in page


def test_sorts(client, catalogue):
    ending = _titles(client.get("/discover?sort=ending").get_data(as_text=True))
    assert ending == ["Night Comic", "Board Game", "Solar Kettle"]
    funded = _titles(client.get("/discover?sort=funded").get_data(as_text=True))
    assert funded[0] == "Night Comic"  # 75% of its goal
    newest = _titles(client.get("/discover").get_data(as_text=True))
    assert newest == ["Solar Kettle", "Board Game", "Night Comic"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("kettle", ["Solar Kettle"]), ("SUNSHINE", ["Solar Kettle"]), ("bob", ["Night Comic",
     "Board Game"]), ("lovelace", ["Solar Kettle"]), ("draft", []), ("100%", []),
     ("night comic", ["Night Comic"])],
)
def test_search_title_blurb_and_founder(client, catalogue, query, expected):
    html = client.get("/discover", query_string={"q": query, "sort": "ending"}).get_data(
        as_text=True)
    assert _titles(html) == expected


def test_category_page(client, catalogue):
    html = client.get("/discover/comics").get_data(as_text=True)
    assert _titles(html) == ["Night Comic"]
    assert client.get("/discover/not-a-category").status_code == 404


def test_pagination(app, client, session):
    founder = make_user()
    for n in range(app.config["CAMPAIGNS_PER_PAGE"] + 3):
        make_campaign(founder, status=S.LIVE, title=f"Campaign number {n:02d}")
    session.commit()
    first = client.get("/discover").get_data(as_text=True)
    second = client.get("/discover?page=2").get_data(as_text=True)
    assert len(_titles(first)) == app.config["CAMPAIGNS_PER_PAGE"]
    assert len(_titles(second)) == 3 and "Page 2 of 2" in second
    assert not set(_titles(first)) & set(_titles(second))
    assert client.get("/discover?page=99").status_code == 200


def test_campaign_page_totals_come_from_counted_pledges(client, catalogue):
    html = client.get(f"/campaigns/{catalogue['comic'].slug}").get_data(as_text=True)
    assert "$75.00" in html and "of $100.00 goal · 75%" in html
    assert re.search(r'<p class="big">2</p><p class="muted">backers', html)
    assert "days to go" in html or "hours to go" in html
    kettle = client.get(f"/campaigns/{catalogue['kettle'].slug}").get_data(as_text=True)
    assert "$0.00" in kettle and "identity verified" in kettle


def test_tiers_show_remaining_and_sold_out(client, session, catalogue):
    from tests.factories import make_tier
    make_tier(catalogue["game"], limit=10, claimed=4)
    make_tier(catalogue["game"], limit=5, claimed=5)
    session.commit()
    html = client.get(f"/campaigns/{catalogue['game'].slug}").get_data(as_text=True)
    assert "6 left of 10" in html and "Sold out" in html


def test_founder_public_page(client, catalogue):
    html = client.get(f"/founders/{catalogue['kettle'].founder_id}").get_data(as_text=True)
    assert "Solar Kettle" in html and "Secret Draft" not in html


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
