"""Every operation of the document, from the document (a new one is swept the day it is
written): another person's objects do not exist (404), a revoked or expired token is 401,
a token without the operation's scope is 403 (read-only tokens cannot write), a cursor
this API did not give is 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crowdfund.api.docs import document
from crowdfund.auth.api_tokens import ApiToken, Scope
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.db import utcnow
from crowdfund.extensions import db
from tests.factories import make_campaign, make_pledge, make_user

#: Paths with an id of something anyone may see (a public campaign): not owned by anyone.
PUBLIC_IDS = {"/api/v1/campaigns/{campaign_id}", "/api/v1/campaigns/{campaign_id}/budget",
              "/api/v1/campaigns/{campaign_id}/updates",
              "/api/v1/campaigns/{campaign_id}/comments",
              "/api/v1/campaigns/{campaign_id}/series", "/api/v1/me/follows/{campaign_id}"}
#: A valid body of each request schema of the document.
BODIES = {"PledgeChoice": {"amount_minor": 2000, "currency": "USD"},
          "NewPledgeBody": {"amount_minor": 2000, "currency": "USD", "campaign_id": "1"},
          "UpdateBody": {"title": "An update", "body_markdown": "Long enough to be one."},
          "CommentBody": {"body": "Hello"}}


def _operations(app) -> list[tuple[str, str, dict]]:
    with app.test_request_context():
        paths = document()["paths"]
    return [(method, path, operation) for path, item in paths.items()
            for method, operation in item.items() if method in ("get", "post", "put", "patch",
                                                                  "delete")]


def _call(client, method, url, headers, operation):
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    name = body["schema"]["$ref"].rsplit("/", 1)[-1] if body else None
    return getattr(client, method)(url, headers=headers, json=BODIES[name] if name else None)


def test_another_persons_objects_do_not_exist_in_any_operation(app, client, bearer):
    owner, stranger = make_user(verified=True), make_user(verified=True)
    campaign = make_campaign(owner, status=CampaignStatus.LIVE)
    pledge = make_pledge(make_campaign(status=CampaignStatus.LIVE), owner)
    db.session.commit()
    headers = bearer(stranger, *Scope)
    swept = 0
    for method, path, operation in _operations(app):
        if "{" not in path or path in PUBLIC_IDS:
            continue
        if "{pledge_id}" in path:
            url = path.replace("{pledge_id}", str(pledge.id))
        elif path.startswith("/api/v1/me/campaigns/{campaign_id}"):
            url = path.replace("{campaign_id}", str(campaign.id))
        else:
            pytest.fail(f"{path}: whose is this id? Add it to the sweep or to PUBLIC_IDS")
        answer = _call(client, method, url, headers, operation)
        assert answer.status_code == 404, (method, url, answer.json)
        assert answer.mimetype == "application/problem+json"
        own = _call(client, method, url, bearer(owner, *Scope), operation)  # the owner's is found
        assert own.status_code != 404, (method, url, own.json)
        swept += 1
    assert swept >= 8


def test_revoked_expired_and_missing_tokens_and_missing_scopes_in_every_operation(
        app, client, bearer):
    holder = make_user(verified=True)
    campaign = make_campaign(holder, status=CampaignStatus.LIVE)
    db.session.commit()
    revoked, expired = bearer(holder, *Scope), bearer(holder, *Scope)
    rows = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()
    rows[0].revoked_at = utcnow()
    rows[1].expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    scoped = {scope: bearer(holder, scope) for scope in Scope}
    secured = 0
    for method, path, operation in _operations(app):
        url = path.replace("{campaign_id}", str(campaign.id)).replace("{pledge_id}", "1")
        if "security" not in operation:
            assert method == "get", (method, path)  # every write needs a token
            continue
        secured += 1
        for headers in ({}, revoked, expired, {"Authorization": "Bearer cf_nonsense"},
                        {"Authorization": "Basic dXNlcjpwYXNz"}):
            answer = _call(client, method, url, headers, operation)
            assert answer.status_code == 401, (method, path, headers)
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        needed = Scope(operation["x-scope"])
        for scope, headers in scoped.items():
            if scope is not needed:
                answer = _call(client, method, url, headers, operation)
                assert answer.status_code == 403, (method, path, scope)
        if method != "get":
            assert needed is not Scope.READ, (method, path)
    assert secured >= 14


def test_a_cursor_not_given_by_the_list_is_refused_in_every_list(app, client, bearer):
    holder = make_user(verified=True)
    campaign = make_campaign(holder, status=CampaignStatus.LIVE)
    db.session.commit()
    headers = bearer(holder, *Scope)
    lists = 0
    for method, path, operation in _operations(app):
        names = {p["name"] for p in operation.get("parameters", [])}
        if method != "get" or "cursor" not in names:
            continue
        url = path.replace("{campaign_id}", str(campaign.id))
        answer = client.get(url, headers=headers, query_string={"cursor": "bm9wZQ"})
        assert answer.status_code == 400, (path, answer.json)
        assert answer.json["errors"] == {"cursor": [
            "This cursor is not valid for this list: start again without one."]}
        lists += 1
    assert lists >= 4
