"""The home page's sections never say something false: "Ending soon" has what ends soon,
and an empty section says what is true (issue 24, item 11)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from tests.factories import make_campaign

S = CampaignStatus


def _sections(html: str) -> dict[str, str]:
    """Each section's heading -> its HTML."""
    return {re.search(r"<h2>(.*?)</h2>", part).group(1): part
            for part in html.split("<section>")[1:]}


def _titles(html: str) -> list[str]:
    return re.findall(r"<h3>(.*?)</h3>", html)


def _live(title: str, ends_in: timedelta, *, pick: bool = False):
    campaign = make_campaign(status=S.LIVE, title=title)
    campaign.deadline = utcnow() + ends_in
    campaign.staff_pick = pick
    return campaign


def test_a_campaign_ending_in_46_hours_is_under_ending_soon(client, session):
    for n in range(5):
        _live(f"Long Runner {n}", timedelta(days=10 + n))
    _live("Last Call", timedelta(hours=46))
    session.commit()
    html = client.get("/").get_data(as_text=True)
    sections = _sections(html)
    assert _titles(sections["Ending soon"]) == ["Last Call"]
    assert "No live campaigns" not in html
    shown = _titles(html)
    assert sorted(shown) == sorted({*shown}) and len(shown) == 6  # each once, all six


def test_ending_soon_wins_over_staff_picks_and_is_nearest_first(client, session):
    _live("Picked And Ending", timedelta(days=3), pick=True)
    _live("Ending Sooner", timedelta(hours=30))
    _live("Picked Only", timedelta(days=20), pick=True)
    _live("Ends In A Month", timedelta(days=29))
    session.commit()
    sections = _sections(client.get("/").get_data(as_text=True))
    assert _titles(sections["Ending soon"]) == ["Ending Sooner", "Picked And Ending"]
    assert _titles(sections["Staff picks"]) == ["Picked Only"]


def test_with_nothing_live_the_page_says_so_once(client, session):
    make_campaign(status=S.DRAFT, title="Not Yet")
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert html.count("No live campaigns yet") == 1 and _sections(html) == {}


def test_nothing_ending_soon_is_said_as_it_is(client, session):
    _live("Far Away", timedelta(days=8))
    session.commit()
    sections = _sections(client.get("/").get_data(as_text=True))
    assert "No live campaign ends in the next 7 days." in sections["Ending soon"]
    assert _titles(sections["Newest"]) == ["Far Away"]
    assert "Every live campaign is already on this page." in sections["Most funded"]


@pytest.mark.parametrize("live", [1, 3, 6, 9, 13, 17, 25])
def test_every_empty_section_tells_the_truth(client, session, live):
    ends = [timedelta(hours=20 + 37 * n) for n in range(live)]  # some within 7 days
    for n, ends_in in enumerate(ends):
        _live(f"Campaign Nr {n:02d}", ends_in, pick=n % 5 == 0)
    session.commit()
    html = client.get("/").get_data(as_text=True)
    sections = _sections(html)
    on_page = set(_titles(html))
    assert len(on_page) == len(_titles(html))  # each campaign once
    assert "No live campaigns" not in html
    soon = [f"Campaign Nr {n:02d}" for n, e in enumerate(ends) if e <= timedelta(days=7)]
    assert _titles(sections["Ending soon"]) == soon[:4]
    for heading, part in sections.items():
        if "Every live campaign is already on this page." in part:
            assert len(on_page) == live, heading
        if "No live campaign ends in the next 7 days." in part:
            assert soon == [], heading
        assert _titles(part) or "empty" in part, heading
