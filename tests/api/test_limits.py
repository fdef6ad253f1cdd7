"""Rate limits (per token, per client address) kept in Redis and shared by two web servers;
429 with Retry-After as problem details; CORS closed unless a setting opens it to an
origin."""

from __future__ import annotations

import pytest
import redis

from crowdfund import create_app
from crowdfund.auth.api_tokens import Scope
from tests.factories import make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def two_servers(app, redis_url):
    """Two applications (two web servers) sharing the limits' storage in Redis."""
    storage = redis_url.rsplit("/", 1)[0] + "/7"
    redis.Redis.from_url(storage).flushdb()
    config = {"ENV_NAME": "testing", "RATELIMIT_STORAGE_URI": storage,
              "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "API_RATE_LIMIT": "3 per minute", "API_CLIENT_RATE_LIMIT": "1000 per minute"}
    servers = [create_app(config), create_app(config)]
    for server in servers:
        server.extensions["payment_gateway"] = app.extensions["payment_gateway"]
    yield [server.test_client() for server in servers]
    redis.Redis.from_url(storage).flushdb()


def test_a_tokens_limit_holds_across_web_servers_and_answers_429_with_retry_after(
        two_servers, bearer):
    first, second = two_servers
    headers = bearer(make_user(), Scope.READ)
    answers = [(first, second)[i % 2].get("/api/v1/me", headers=headers) for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.mimetype == PROBLEM and refused.json["status"] == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    # Another token has its own count; reads without a token count per address.
    assert second.get("/api/v1/me", headers=bearer(make_user(), Scope.READ)).status_code == 200


def test_a_clients_limit_holds_whatever_tokens_it_sends(app, redis_url, bearer):
    storage = redis_url.rsplit("/", 1)[0] + "/8"
    redis.Redis.from_url(storage).flushdb()
    server = create_app({"ENV_NAME": "testing", "RATELIMIT_STORAGE_URI": storage,
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "API_RATE_LIMIT": "1000 per minute",
                         "API_CLIENT_RATE_LIMIT": "4 per minute"}).test_client()
    statuses = [server.get("/api/v1/me", headers=bearer(make_user(), Scope.READ)).status_code
                for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    redis.Redis.from_url(storage).flushdb()


def test_the_limits_live_in_the_brokers_redis_in_production_and_in_memory_otherwise(app):
    shared = create_app({"ENV_NAME": "testing", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert shared.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_cors_is_closed_unless_the_setting_opens_it_to_an_origin(app, client):
    origin = "https://app.example.com"
    closed = client.get("/api/v1/campaigns", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in closed.headers
    app.config["API_CORS_ORIGINS"] = (origin,)
    try:
        opened = client.get("/api/v1/campaigns", headers={"Origin": origin})
        assert opened.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in opened.headers["Vary"]
        preflight = client.options("/api/v1/me/pledges", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type"})
        assert preflight.status_code == 200
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        other = client.get("/api/v1/campaigns", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
    finally:
        app.config["API_CORS_ORIGINS"] = ()


def test_with_the_limits_redis_down_the_api_still_answers(app, bearer):
    server = create_app({"ENV_NAME": "testing", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "API_RATE_LIMIT": "2 per minute"}).test_client()
    headers = bearer(make_user(), Scope.READ)
    statuses = [server.get("/api/v1/me", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # counted in memory meanwhile
