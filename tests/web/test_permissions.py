"""Every studio and operator route, for every kind of visitor: nobody reaches what is not theirs.

Routes are read from the app's URL map, so a new route is covered without editing this file.
"""

import pytest
import sqlalchemy as sa

from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.models import BudgetLine, Campaign
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.community.models import CampaignUpdate, Comment
from crowdfund.extensions import db
from crowdfund.settlement.models import Payout, PayoutStatus
from tests.factories import make_add_on, make_campaign, make_pledge, make_user

S = CampaignStatus
ACTIONS = {"studio.change_state": ["submit", "withdraw", "launch"],
           "operators.decide": ["approve", "reject", "suspend"],
           "operators.decide_offering_change": ["material", "not-material"],
           "operators.moderate": ["hide", "restore", "dismiss"],
           "community.follow_campaign": ["follow", "unfollow"],
           "community.follow_founder": ["follow", "unfollow"],
           "studio.move_faq_entry": ["up", "down"]}


@pytest.fixture
def world(session):
    founder = make_user(name="Founder")
    campaign = make_campaign(founder, status=S.SUBMITTED)
    line = campaign.budget_lines[0]
    tier = campaign.tiers[0]
    add_on = make_add_on(campaign)
    entry = FaqEntry(campaign_id=campaign.id, question="Why?", answer_md="Because.")
    db.session.add(entry)
    live = make_campaign(founder, status=S.LIVE)
    pledge = make_pledge(live)
    payout = Payout(campaign_id=live.id, amount_minor=100, currency=live.currency,
                    status=PayoutStatus.DUE, idempotency_key=f"campaign-{live.id}-payout",
                    due_at=live.deadline)
    db.session.add(payout)
    comment = Comment(campaign_id=live.id, author_id=live.founder_id, body="Hello")
    update = CampaignUpdate(campaign_id=live.id, number=1, title="News", visibility="public",
                            body_md="Something happened today.", author_id=live.founder_id)
    db.session.add_all([comment, update])
    people = {"founder": founder, "other": make_user(name="Other"),
              "backer": make_user(name="Backer"), "operator": make_user(operator=True)}
    session.commit()
    return {"campaign": campaign, "tier": tier, "line": line, "live": live, "pledge": pledge,
            "payout": payout, "comment": comment, "add_on": add_on, "update": update,
            "entry": entry, **people}


def _urls(app, blueprint, world):
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(blueprint + "."):
            continue
        values = {"campaign_id": world["campaign"].id, "tier_id": world["tier"].id,
                  "line_id": world["line"].id, "user_id": world["founder"].id,
                  "pledge_id": world["pledge"].id, "slug": world["live"].slug,
                  "payout_id": world["payout"].id, "document_id": 1,
                  "holding_id": 1, "change_id": 1, "comment_id": world["comment"].id,
                  "job_id": 1, "failure_id": 1, "token": "not-a-token", "session_id": 1,
                  "code": "zh_Hans", "difference_id": 1, "add_on_id": world["add_on"].id,
                  "payment_method_id": "pm_card", "update_id": world["update"].id,
                  "entry_id": world["entry"].id, "token_id": 1}
        for action in ACTIONS.get(rule.endpoint, [None]):
            args = {k: v for k, v in values.items() if k in rule.arguments}
            if action:
                args["kind" if "kind" in rule.arguments else "action"] = action
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, method, url))
    assert out, blueprint
    return out


def _state(app, world):
    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"].id)
        lines = db.session.scalar(sa.select(sa.func.count()).select_from(BudgetLine))
        return campaign.status, campaign.title, len(campaign.tiers), lines


#: Pages of those blueprints that anyone may read.
PUBLIC = {("community.comments_page", "GET"), ("community.founder", "GET"),
          ("community.update_page", "GET"), ("community.updates_page", "GET")}


def test_anonymous_visitors_are_sent_to_sign_in(app, client, world):
    for blueprint in ("studio", "operators", "pledges", "equity", "community"):
        for endpoint, method, url in _urls(app, blueprint, world):
            response = client.open(url, method=method)
            if (endpoint, method) in PUBLIC:
                assert response.status_code == 200, (endpoint, url)
                continue
            assert response.status_code == 302, (endpoint, method, url)
            assert response.headers["Location"].startswith("/login"), (endpoint, url)


def test_backers_get_403_on_every_operator_route(app, client, auth, world):
    auth.login_as(world["backer"])
    before = _state(app, world)
    for endpoint, method, url in _urls(app, "operators", world):
        response = client.open(url, method=method, data={"reason": "Because I can", "picked": "y",
                                                         "status": "verified"})
        assert response.status_code == 403, (endpoint, method, url)
    assert _state(app, world) == before


def test_founders_get_403_on_operator_routes_too(app, client, auth, world):
    auth.login_as(world["founder"])
    for endpoint, method, url in _urls(app, "operators", world):
        assert client.open(url, method=method).status_code == 403, (endpoint, url)


def test_another_founder_cannot_see_or_change_a_draft(app, client, auth, world):
    auth.login_as(world["other"])
    before = _state(app, world)
    studio_urls = [u for u in _urls(app, "studio", world)
                   if u[0] not in ("studio.index", "studio.new", "studio.payouts",
                                   "studio.connect_payouts")]
    assert len(studio_urls) >= 14
    for endpoint, method, url in studio_urls:
        response = client.open(url, method=method, data={"title": "Hijacked", "reason": "Mine now",
                                                         "label": "x", "amount": "1"})
        assert response.status_code == 404, (endpoint, method, url)
    assert _state(app, world) == before
    slug = world["campaign"].slug
    assert client.get(f"/campaigns/{slug}").status_code == 404


def test_the_founder_reaches_every_studio_page(app, client, auth, world):
    auth.login_as(world["founder"])
    for endpoint, method, url in _urls(app, "studio", world):
        if method != "GET":
            continue
        response = client.get(url)
        if endpoint == "studio.edit":  # in review: nothing to edit, back to the overview
            assert response.status_code == 302, url
            assert response.headers["Location"] == f"/studio/{world['campaign'].id}"
        elif endpoint in ("studio.offering", "studio.cap_table", "studio.cap_table_csv",
                          "studio.insights", "studio.delivery"):
            # a reward campaign has no offering terms and no cap table; a campaign in
            # review has no insights yet, and nothing to deliver before it is funded
            assert response.status_code == 404, url
        else:
            assert response.status_code == 200, (endpoint, url)


def test_operators_reach_every_operator_page(app, client, auth, world):
    auth.login_as(world["operator"])
    for endpoint, method, url in _urls(app, "operators", world):
        if method == "GET" and endpoint != "operators.identity_document":
            assert client.get(url).status_code == 200, (endpoint, url)
    # A founder who sent no document has none to show (test_identity_checks: one that did).
    assert client.get(f"/operators/founders/{world['founder'].id}/document").status_code == 404


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.REJECTED, S.APPROVED])
def test_unlaunched_campaign_pages_are_private(app, client, auth, session, status, world):
    campaign = make_campaign(world["founder"], status=status)
    session.commit()
    url = f"/campaigns/{campaign.slug}"
    assert client.get(url).status_code == 404
    auth.login_as(world["backer"])
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login_as(world["founder"])
    assert b"Preview" in client.get(url).data
    auth.logout()
    auth.login_as(world["operator"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("status", [S.LIVE, S.FUNDED, S.FAILED, S.CANCELLED, S.SUSPENDED])
def test_public_campaign_pages(client, session, status, world):
    campaign = make_campaign(world["founder"], status=status)
    session.commit()
    response = client.get(f"/campaigns/{campaign.slug}")
    assert response.status_code == 200 and b"Preview" not in response.data


def test_every_post_route_needs_a_csrf_token(app, client, auth, world):
    auth.login_as(world["operator"])
    app.config["WTF_CSRF_ENABLED"] = True
    before = _state(app, world)
    # Unsubscribing needs no form token: the link's signed token is the authority, and
    # mail clients send it with one click (RFC 8058); tested in test_email_choices.py.
    exempt = {"auth.unsubscribe"}
    posts = [u for bp in ("studio", "operators", "auth", "pledges", "community")
             for u in _urls(app, bp, world)
             if u[1] == "POST" and u[0] not in exempt]
    assert len(posts) >= 24
    for endpoint, _method, url in posts:
        response = client.post(url, data={"reason": "No token here", "title": "x"})
        assert response.status_code == 400, (endpoint, url)
        assert b"The form expired or was sent from elsewhere" in response.data
    assert _state(app, world) == before
    page = client.get("/studio/new").get_data(as_text=True)
    assert 'name="csrf_token"' in page
