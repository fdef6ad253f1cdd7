"""The kept public pages shared by every web server through Redis (crowdfund/pagecache.py)."""

import socket
import time
import uuid

import pytest

from crowdfund import create_app
from crowdfund.campaigns.states import CampaignStatus
from crowdfund.pagecache import PageStore, RedisPageStore
from tests.factories import AuthActions, count_queries, make_campaign, make_pledge, make_user


def web_server(app, **config):
    """Another web server (its own app, engine and caches) on the same database."""
    server = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "WTF_CSRF_ENABLED": False,
        "PAGE_CACHE_SECONDS": 5,
        **config,
    })
    server.test_client_class = app.test_client_class  # each request its own context
    return server


@pytest.fixture
def servers(app, redis_url):
    """Two web servers sharing one Redis (their own namespace in it)."""
    prefix = f"test:{uuid.uuid4().hex}:"
    return [web_server(app, PAGE_CACHE_REDIS_URL=redis_url, PAGE_CACHE_REDIS_PREFIX=prefix)
            for _ in range(2)]


@pytest.fixture
def live(session):
    campaign = make_campaign(status=CampaignStatus.LIVE, title="Solar kettle")
    session.commit()
    return campaign


def test_a_page_rendered_by_one_server_is_served_by_the_other_without_rendering(
        servers, session, live):
    first, second = servers
    assert isinstance(second.extensions["page_cache"], RedisPageStore)
    page = f"/campaigns/{live.slug}"
    rendered = first.test_client().get(page)
    assert rendered.status_code == 200 and "Set-Cookie" not in rendered.headers
    with count_queries(second) as queries:
        served = second.test_client().get(page)
    assert queries == [] and served.data == rendered.data  # no query, no template
    assert served.content_type == rendered.content_type
    assert served.headers["Content-Security-Policy"] and "Cookie" in served.headers["Vary"]


def test_the_shared_page_expires_after_page_cache_seconds(servers, session, live):
    first, second = servers
    for server in servers:
        server.config["PAGE_CACHE_SECONDS"] = 0.5
    page = f"/campaigns/{live.slug}"
    first.test_client().get(page)
    make_pledge(live, amount_minor=123_400)
    session.commit()
    assert "$1,234" not in second.test_client().get(page).get_data(as_text=True)  # kept
    time.sleep(0.6)
    assert "$1,234" in second.test_client().get(page).get_data(as_text=True)


def test_a_signed_in_visitor_never_gets_the_shared_page(servers, session, live):
    first, second = servers
    page = f"/campaigns/{live.slug}"
    first.test_client().get(page)  # kept for anonymous visitors
    backer = make_user(name="Grace Backer")
    session.commit()
    browser = second.test_client()
    AuthActions(browser).login_as(backer)
    with count_queries(second) as queries:
        mine = browser.get(page).get_data(as_text=True)
    assert queries and "Grace Backer" in mine and "Sign in to follow" not in mine
    browser.get("/")  # a signed-in page is not shared with the anonymous either
    assert "Grace Backer" not in first.test_client().get("/").get_data(as_text=True)


def test_a_page_over_the_size_limit_is_not_shared(app, redis_url, session, live):
    prefix = f"test:{uuid.uuid4().hex}:"
    first, second = (web_server(app, PAGE_CACHE_REDIS_URL=redis_url, PAGE_CACHE_MAX_BYTES=100,
                                PAGE_CACHE_REDIS_PREFIX=prefix) for _ in range(2))
    page = f"/campaigns/{live.slug}"
    first.test_client().get(page)
    with count_queries(second) as queries:
        assert second.test_client().get(page).status_code == 200
    assert queries  # rendered again


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _count_redis_calls(store) -> list[str]:
    """The Redis calls ``store`` makes from now on (each recorded, then made)."""
    calls: list[str] = []
    for name in ("get", "set"):
        method = getattr(store.client, name)

        def counted(*args, _method=method, _name=name, **kwargs):
            calls.append(_name)
            return _method(*args, **kwargs)

        setattr(store.client, name, counted)
    return calls


def test_pages_answer_when_redis_is_unreachable_without_waiting_on_it(app, session, live, caplog):
    server = web_server(app, PAGE_CACHE_REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    client = server.test_client()
    page = f"/campaigns/{live.slug}"
    store = server.extensions["page_cache"]
    store.clock = lambda: 1000.0  # the pause after a failure never ends in this test
    assert client.get(page).status_code == 200  # the first miss: Redis tried, then left
    tries = _count_redis_calls(store)
    for _ in range(5):
        assert client.get(page).status_code == 200
    assert tries == []  # left alone meanwhile: no request waits on it
    assert sum("Redis unavailable" in r.getMessage() for r in caplog.records) == 1
    with count_queries(server) as queries:
        assert client.get(page).status_code == 200
    assert queries == []  # kept in this process meanwhile


def test_without_redis_each_process_keeps_its_own_pages(app):
    server = web_server(app, CELERY_BROKER_URL="memory://")
    assert type(server.extensions["page_cache"]) is PageStore
    broker = web_server(app, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert isinstance(broker.extensions["page_cache"], RedisPageStore)


def test_a_redis_that_does_not_answer_is_waited_on_once_not_per_request(
        app, session, live):
    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    try:
        server = web_server(
            app, PAGE_CACHE_REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        client = server.test_client()
        page = f"/campaigns/{live.slug}"
        store = server.extensions["page_cache"]
        store.clock = lambda: 1000.0  # the pause after a failure never ends in this test
        assert client.get(page).status_code == 200  # waits once (50 ms), then leaves Redis
        tries = _count_redis_calls(store)
        for _ in range(30):
            assert client.get(page).status_code == 200
        assert tries == []  # one short wait in all, not one per request
    finally:
        silent.close()


def test_clearing_forgets_the_shared_pages(servers, session, live):
    first, second = servers
    page = f"/campaigns/{live.slug}"
    first.test_client().get(page)
    second.extensions["page_cache"].clear()
    with count_queries(first) as queries:
        first.test_client().get(page)
    assert queries  # rendered again


def test_one_server_renders_a_stale_page_while_the_other_serves_the_old_copy(
        servers, session, live):
    """The claim to render a page past its seconds is one Redis key (SET NX) for every
    server: while one holds it, the others serve the previous copy without rendering."""
    first, second = servers
    for server in servers:
        server.config["PAGE_CACHE_SECONDS"] = 0.3
    page = f"/campaigns/{live.slug}"
    first.test_client().get(page)
    make_pledge(live, amount_minor=123_400)
    session.commit()
    time.sleep(0.4)
    store = first.extensions["page_cache"]
    key = next(iter(store.fallback._items))
    assert store.claim(key)  # the first server is rendering it
    assert not second.extensions["page_cache"].claim(key)  # one claim for all
    with count_queries(second) as queries:
        old = second.test_client().get(page).get_data(as_text=True)
    assert "$1,234" not in old and queries == []
