"""The founder's backers page and CSV: paginated, in a constant number of queries whatever
the number of backers (each row's backer and reward come with the pledge)."""

from __future__ import annotations

import csv
import io

from crowdfund.campaigns.states import CampaignStatus
from tests.factories import count_queries, make_campaign, make_pledge, make_user


def _campaign_with(session, n: int):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    tier = campaign.tiers[0]
    for i in range(n):
        make_pledge(campaign, make_user(name=f"Backer {i}"), tier=tier if i % 2 else None)
    session.commit()
    return campaign


def test_backers_page_queries_do_not_grow_with_backers(app, client, auth, session,
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "BACKERS_PER_PAGE", 20)
    small, large = _campaign_with(session, 5), _campaign_with(session, 45)
    counts = []
    for campaign in (small, large):
        auth.login_as(campaign.founder)
        client.get(f"/studio/{campaign.id}/backers")  # warm-up (session, caches)
        with count_queries(app) as statements:
            page = client.get(f"/studio/{campaign.id}/backers").get_data(as_text=True)
        counts.append(len(statements))
        auth.logout()
    assert counts[0] == counts[1], counts
    assert "Page 1 of 3" in page and "Backer 0" in page and "Backer 44" not in page
    auth.login_as(large.founder)
    last = client.get(f"/studio/{large.id}/backers?page=3").get_data(as_text=True)
    assert "Backer 44" in last and "Backer 0" not in last


def test_backers_csv_has_every_backer_in_batches(app, client, auth, session, monkeypatch):
    import crowdfund.pledges.queries as pledges

    campaign = _campaign_with(session, 23)
    real = pledges.iter_backers
    monkeypatch.setattr(pledges, "iter_backers", lambda c: real(c, batch=10))
    auth.login_as(campaign.founder)
    with count_queries(app) as statements:
        body = client.get(f"/studio/{campaign.id}/backers.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert sorted(r[1] for r in rows) == sorted(f"Backer {i}" for i in range(23))
    pledge_selects = [s for s in statements if "FROM pledges" in s and "JOIN users" in s]
    assert len(pledge_selects) == 3  # 10 + 10 + 3
