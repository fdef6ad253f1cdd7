"""Tokens on the account page: made with a name, scopes and a lifetime, the secret shown
once and stored only as its hash, revoked (then refused by the API), owner-checked; in the
person's data archive, erased when the account closes."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from crowdfund.auth import privacy
from crowdfund.auth.api_tokens import ApiToken
from crowdfund.extensions import db
from tests.factories import PASSWORD, make_user


def test_a_token_is_shown_once_stored_hashed_and_works_until_revoked(client, auth):
    user = make_user()
    db.session.commit()
    auth.login_as(user)
    assert client.get("/account/tokens").status_code == 200
    made = client.post("/account/tokens", data={
        "name": "My phone", "scopes": ["read", "pledge"],
        "days": "30"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(rb'value="(cf_[^"]+)"', made.data).group(1).decode()
    row = db.session.scalars(sa.select(ApiToken)).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str([row.name, row.shown_prefix, row.scopes])
    assert row.shown_prefix == secret[:11] and row.scopes == "read pledge"
    again = client.get("/account/tokens")
    assert secret.encode() not in again.data and b"My phone" in again.data
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).json["scopes"] == ["pledge", "read"]
    revoked = client.post(f"/account/tokens/{row.id}/revoke",
                          data={})
    assert revoked.status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_needs_a_scope_and_a_lifetime_offered(client, auth):
    auth.login_as(make_user())
    client.get("/account/tokens")
    answer = client.post("/account/tokens", data={
                                                  "name": "x", "days": "30"})
    assert answer.status_code == 400
    assert b"Choose at least one thing the token may do." in answer.data
    answer = client.post("/account/tokens", data={"name": "x",
                                                  "scopes": ["read"], "days": "9999"})
    assert answer.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_another_persons_token_cannot_be_revoked(client, auth, bearer):
    owner = make_user()
    bearer(owner)
    token = db.session.scalars(sa.select(ApiToken)).one()
    auth.login_as(make_user())
    client.get("/account/tokens")
    answer = client.post(f"/account/tokens/{token.id}/revoke",
                         data={})
    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_tokens_are_in_the_archive_and_gone_when_the_account_closes(bearer):
    user = make_user()
    bearer(user)
    archive = privacy.export(user)
    assert [t["name"] for t in archive["api_tokens"]] == ["test"]
    assert "secret_hash" not in archive["api_tokens"][0]
    privacy.close_account(user, PASSWORD)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
