"""The main pages run the same number of queries whatever the size of what they show:
more pledges, backers, comments and replies, tiers and campaigns add rows, not queries
(no query per row). Two sizes of the same world; each page counted after a warm-up."""

from __future__ import annotations

import pytest

from crowdfund.campaigns.models import RewardTier
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import Comment
from crowdfund.pledges.models import PledgeStatus
from tests.factories import count_queries, make_campaign, make_pledge, make_user

S = CampaignStatus


def build(session, n: int) -> dict:
    """``n`` campaigns on the home page; the first with n tiers, 3n backers (one of them
    ours) and n comments each with a reply."""
    founder = make_user(name=f"Founder {n}", verified=True)
    campaigns = [make_campaign(founder, status=S.LIVE) for _ in range(n)]
    first = campaigns[0]
    for i in range(n):
        session.add(RewardTier(campaign=first, title=f"Extra {i}", minimum_minor=500 + i,
                               position=10 + i))
    backer = make_user(name=f"Our backer {n}")
    ours = make_pledge(first, backer, amount_minor=2_500)
    for i in range(3 * n):
        make_pledge(first, amount_minor=1_000 + i)
    make_pledge(first, status=PledgeStatus.CANCELLED)
    session.flush()
    for i in range(n):
        author = make_user(name=f"Commenter {i}")
        top = Comment(campaign_id=first.id, author_id=author.id, body=f"Comment {i}")
        session.add(top)
        session.flush()
        session.add(Comment(campaign_id=first.id, author_id=founder.id, parent_id=top.id,
                            body=f"Reply {i}"))
    session.commit()
    return {"slug": first.slug, "campaign_id": first.id, "backer": backer,
            "pledge_id": ours.id, "founder": founder}


PAGES = {
    "home": (None, lambda w: "/"),
    "discover": (None, lambda w: "/discover"),
    "campaign (anonymous)": (None, lambda w: f"/campaigns/{w['slug']}"),
    "campaign (backer)": ("backer", lambda w: f"/campaigns/{w['slug']}"),
    "your pledges": ("backer", lambda w: "/pledges"),
    "pledge": ("backer", lambda w: f"/pledges/{w['pledge_id']}"),
    "founder profile": (None, lambda w: f"/founders/{w['founder'].id}"),
    "studio overview": ("founder", lambda w: f"/studio/{w['campaign_id']}"),
    "studio backers": ("founder", lambda w: f"/studio/{w['campaign_id']}/backers"),
    "comments (backer)": ("backer", lambda w: f"/campaigns/{w['slug']}/comments"),
}


def _queries(app, auth, client, world, who, url) -> int:
    if who:
        auth.login_as(world[who])
    assert client.get(url).status_code == 200, url
    with count_queries(app) as statements:
        assert client.get(url).status_code == 200, url
    if who:
        auth.logout()
    return len(statements)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_queries_do_not_grow_with_the_data(app, client, auth, session, page):
    who, url_of = PAGES[page]
    counts = []
    for n in (2, 6):
        world = build(session, n)
        counts.append(_queries(app, auth, client, world, who, url_of(world)))
    assert counts[0] == counts[1], f"{page}: {counts[0]} queries at size 2, {counts[1]} at 6"
