"""The campaign page's extras: the jump to the rewards, Follow for signed-out visitors,
share links with the sharer's referral tag (crowdfund/campaigns/sharing.py)."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from crowdfund.campaigns.sharing import sharer_tag
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.community.models import Follow
from tests.factories import AuthActions, make_campaign, make_user


@pytest.fixture
def live(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title='Tide & "clock" <1>', tiers=2)
    session.commit()
    return campaign


def _hrefs(page: str) -> dict[str, str]:
    """Share links by network (class ``share-<key>``), unescaped."""
    return {key: html.unescape(href) for href, key in re.findall(
        r'<a href="([^"]+)" class="share-(\w+)" target="_blank" rel="noopener noreferrer">',
        page)}


def test_the_page_jumps_to_the_rewards_from_next_to_the_title(client, live):
    page = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    head = page.split('<header class="campaign-head">')[1].split("</header>")[0]
    assert 'href="#rewards"' in head and "Back this project" in head
    assert 'id="rewards"' in page


def test_an_equity_offering_jumps_to_investing(client, session):
    offering = make_campaign(status=CampaignStatus.LIVE, kind=CampaignKind.EQUITY, tiers=0)
    session.commit()
    page = client.get(f"/campaigns/{offering.slug}").get_data(as_text=True)
    head = page.split('<header class="campaign-head">')[1].split("</header>")[0]
    assert 'href="#invest"' in head and "Back this project" not in head


def test_share_links_carry_the_signed_in_sharers_tag_escaped(app, client, auth, session, live):
    sharer = make_user()
    session.commit()
    auth.login_as(sharer)
    page = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    with app.test_request_context():
        tag = sharer_tag(sharer)
    assert tag.startswith("s-") and str(sharer.id) not in tag
    url = f"http://localhost/campaigns/{live.slug}?ref={tag}"
    assert f'id="share-url" type="url" readonly value="{url}"' in page
    links = _hrefs(page)
    assert set(links) == {"x", "facebook", "linkedin", "whatsapp", "telegram", "weibo", "email"}
    assert parse_qs(urlsplit(links["x"]).query) == {"url": [url], "text": [live.title]}
    assert parse_qs(urlsplit(links["facebook"]).query) == {"u": [url]}
    assert parse_qs(urlsplit(links["email"]).query)["body"] == [url]
    assert all(url in parse_qs(urlsplit(h).query).get(k, [""])[0] for h, k in (
        (links["linkedin"], "url"), (links["whatsapp"], "text"), (links["telegram"], "url"),
        (links["weibo"], "url")))
    assert '"clock" <1>' not in page.split('id="share"')[1]  # the title is escaped
    # No network's script, frame or image: only our own script.
    assert not re.search(r'<(script|img|iframe)[^>]+(src|href)="https?://', page)


def test_an_anonymous_visitors_link_carries_the_share_tag(client, live):
    page = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    assert f'value="http://localhost/campaigns/{live.slug}?ref=share"' in page


def test_a_shared_link_is_recorded_as_the_source(app, client, session, live):
    sharer = make_user()
    session.commit()
    with app.test_request_context():
        tag = sharer_tag(sharer)
    client.get(f"/campaigns/{live.slug}?ref={tag}")
    with client.session_transaction() as saved:
        assert saved["refs"] == {str(live.id): tag}


def test_follow_when_signed_out_leads_to_sign_in_and_back_one_click_from_it(
        app, client, session, live):
    person = make_user()
    session.commit()
    page = client.get(f"/campaigns/{live.slug}").get_data(as_text=True)
    head = page.split('<header class="campaign-head">')[1].split("</header>")[0]
    sign_in = html.unescape(re.search(r'id="follow-sign-in" href="([^"]+)"', head)[1])
    nxt = parse_qs(urlsplit(sign_in).query)["next"][0]
    assert urlsplit(sign_in).path == "/login" and nxt == f"/campaigns/{live.slug}?follow=1#follow"
    assert 'action="/campaigns/' not in head  # no form (and no state change) signed out
    signed_in = AuthActions(client).login(person.email, next=nxt)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == nxt
    back = client.get(nxt).get_data(as_text=True)
    assert 'id="follow-hint"' in back and "press Follow" in back
    assert session.query(Follow).count() == 0  # the GET followed nothing
    app.config["WTF_CSRF_ENABLED"] = True  # the suite's cleanup turns it off again
    refused = client.post(f"/campaigns/{live.slug}/follow")
    assert refused.status_code == 400 and session.query(Follow).count() == 0
    token = re.search(r'name="csrf_token" value="([^"]+)"', back.split('id="follow"')[1])[1]
    done = client.post(f"/campaigns/{live.slug}/follow", data={"csrf_token": token})
    assert done.status_code == 302 and session.query(Follow).filter_by(
        user_id=person.id, campaign_id=live.id).count() == 1
