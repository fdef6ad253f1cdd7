"""Whole public pages kept a few seconds for anonymous visitors.

On launch day most requests are strangers opening the same campaign page and home page.
A view marked ``@public_page`` is rendered once per URL every ``PAGE_CACHE_SECONDS``
(default 5) per process, and the bytes are served to every anonymous visitor meanwhile:
no query, no template. Invalidation is by age: a new pledge, update or comment shows
to anonymous visitors within those seconds, in every process alike (nothing to
broadcast between web servers).

**No stampede**: a page past its seconds is kept ``PAGE_CACHE_STALE_SECONDS`` (30) more.
The first request that finds it so claims it (``SET NX`` in Redis, a lock in a process)
and renders it again; every other request meanwhile is served the previous copy, so a
busy page is rendered once per ``PAGE_CACHE_SECONDS``, not once by every worker that
missed at the same instant (that made the tail of launch day). A page nobody asked for
in those 30 s is gone and rendered afresh.

Only what is the same for every anonymous visitor is ever stored or served:

- served only to a GET from a visitor who is not signed in (no remember cookie, no user
  in the session) and has no message waiting to be flashed;
- stored only from such a request, when the answer is a 200 that set no cookie and did
  not change the session (a ``?ref=`` link records its source in the session: those
  requests always reach the view);
- the key is the reader's language and time zone (``crowdfund.i18n.reader_key``: a page
  is kept once per language and zone it was asked in) and the full path with its query
  string; at most ``PAGE_CACHE_ENTRIES`` URLs
  are kept (least recently used go first), so odd query strings cannot grow memory.

A signed-in person always gets their own freshly rendered page. Every other response
header (security headers, ``Vary: Cookie``) is added again on the way out.

Where the pages live: with production's Redis (``PAGE_CACHE_REDIS_URL``, else a
``redis://`` ``CELERY_BROKER_URL``) every worker of every web server shares one copy
(``RedisPageStore``: a page rendered by one is served by all, and a restarted worker
starts warm). Without Redis (``make run``) each process keeps its own (``PageStore``).
Redis down or slow never fails a request: its calls time out after a few tens of
milliseconds, it is left alone for a few seconds after an error (logged at most once a
minute), and the pages are then kept in the process as without Redis.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

import redis
from flask import Flask, Response, current_app, g, request, session

from crowdfund import memo
from crowdfund.i18n import reader_key
from crowdfund.memo import Store

#: Marks a view function whose anonymous GET answer may be kept (see the module).
ATTRIBUTE = "_public_page"


def public_page(view: Callable) -> Callable:
    setattr(view, ATTRIBUTE, True)
    return view


log = logging.getLogger(__name__)


#: A kept page past its ``PAGE_CACHE_SECONDS`` is still served this long while one
#: request renders it again; who renders it holds a claim this long at most.
STALE_SECONDS = 30.0
CLAIM_SECONDS = 2.0


class PageStore(Store):
    """URL -> (body, content type, fresh until), each kept ``seconds`` + ``stale`` (see
    ``Store``); ``claim`` says which one request renders a stale page again."""

    def __init__(self, entries: int, clock: Callable[[], float] = time.monotonic, *,
                 stale: float = STALE_SECONDS) -> None:
        super().__init__(entries, clock)
        self.stale = stale
        self._claims: dict[str, float] = {}

    def put(self, key, value, seconds: float) -> None:  # type: ignore[override]
        body, content_type = value[:2]
        super().put(key, (body, content_type, self.clock() + seconds), seconds + self.stale)

    def now(self) -> float:
        return self.clock()

    def claim(self, key: str) -> bool:
        """True for the first asker in CLAIM_SECONDS: that request renders the page."""
        now = self.clock()
        with self._lock:
            if self._claims.get(key, 0.0) > now:
                return False
            if len(self._claims) >= self.entries:
                self._claims = {k: t for k, t in self._claims.items() if t > now}
            self._claims[key] = now + CLAIM_SECONDS
            return True


class RedisPageStore:
    """URL -> (body, content type) in Redis for ``seconds``, shared by every process that
    uses the same Redis and ``prefix``. Keys are the prefix and a SHA-256 of the URL key (a
    long query string makes no long key); a page over ``max_bytes`` is not kept. Any
    Redis error makes it use ``fallback`` (this process's store) for ``pause`` seconds."""

    def __init__(self, url: str, fallback: PageStore, *, prefix: str = "crowdfund:page:",
                 max_bytes: int = 1_000_000, timeout: float = 0.05, pause: float = 5.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=None,
            retry_on_timeout=False, health_check_interval=0)
        self.fallback = fallback
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.pause = pause
        self.clock = clock
        self.wall = wall  # freshness: every process's clock, unlike ``clock``
        self.stale = fallback.stale
        self._down_until = 0.0
        self._logged_at: float | None = None
        self._lock = threading.Lock()

    def _name(self, key: str) -> str:
        return self.prefix + hashlib.sha256(key.encode()).hexdigest()

    def _up(self) -> bool:
        return self.clock() >= self._down_until

    def _failed(self, error: Exception) -> None:
        now = self.clock()
        with self._lock:
            self._down_until = now + self.pause
            if self._logged_at is None or now - self._logged_at >= 60:
                self._logged_at = now
                log.warning("page cache: Redis unavailable (%s); pages kept per process "
                            "for now", error)

    def get(self, key: str, default=None):
        if not self._up():
            return self.fallback.get(key, default)
        try:
            found = self.client.get(self._name(key))
        except (redis.RedisError, OSError) as error:
            self._failed(error)
            return self.fallback.get(key, default)
        if found is None:
            return default
        fresh_until, _, rest = found.partition(b"\n")
        content_type, _, body = rest.partition(b"\n")
        return body, content_type.decode(), float(fresh_until)

    def put(self, key: str, value: tuple[bytes, str], seconds: float) -> None:
        body, content_type = value[:2]
        if len(body) > self.max_bytes:
            return
        self.fallback.put(key, value, seconds)
        if not self._up():
            return
        fresh_until = f"{self.wall() + seconds:.3f}".encode()
        try:
            self.client.set(self._name(key),
                            fresh_until + b"\n" + content_type.encode() + b"\n" + body,
                            px=max(1, int((seconds + self.stale) * 1000)))
        except (redis.RedisError, OSError) as error:
            self._failed(error)

    def now(self) -> float:
        return self.wall() if self._up() else self.fallback.now()

    def claim(self, key: str) -> bool:
        """True for the first asker of every process in CLAIM_SECONDS (``SET NX``)."""
        if not self._up():
            return self.fallback.claim(key)
        try:
            return bool(self.client.set(self._name(key) + ":renders", b"1", nx=True,
                                        px=int(CLAIM_SECONDS * 1000)))
        except (redis.RedisError, OSError) as error:
            self._failed(error)
            return self.fallback.claim(key)

    def clear(self) -> None:
        """Forget every kept page (this prefix's keys; a benchmark's cold start)."""
        self.fallback.clear()
        try:
            for name in self.client.scan_iter(match=self.prefix + "*", count=500):
                self.client.delete(name)
        except (redis.RedisError, OSError) as error:
            self._failed(error)


def redis_url_for(config) -> str | None:
    """``PAGE_CACHE_REDIS_URL``, else the broker's when it is a Redis; None: no Redis."""
    if url := config.get("PAGE_CACHE_REDIS_URL"):
        return url
    broker = config.get("CELERY_BROKER_URL") or ""
    return broker if broker.startswith(("redis://", "rediss://", "unix://")) else None


def _store() -> PageStore | RedisPageStore:
    return current_app.extensions["page_cache"]


def _anonymous_get() -> bool:
    """A GET of a marked view by a visitor who is not signed in and has nothing flashed."""
    if request.method != "GET" or not current_app.config["PAGE_CACHE_SECONDS"]:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, ATTRIBUTE, False):
        return False
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return "_user_id" not in session and "_flashes" not in session
    return True


def _key() -> str:
    return f"{reader_key()} {request.full_path}"


def serve() -> Response | None:
    """before_request: the kept page, when there is one for this visitor and URL."""
    if not _anonymous_get():
        return None
    store, key = _store(), _key()
    found = store.get(key)
    if found is None:
        return None
    if found[2] <= store.now() and store.claim(key):
        return None  # past its seconds: this request renders it, the others get this copy
    g.page_cache_hit = True
    response = Response(found[0], status=200, content_type=found[1])
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def keep(response: Response) -> Response:
    """after_request: keep the page if it is the same for every anonymous visitor."""
    if (response.status_code == 200 and not response.direct_passthrough
            and "Set-Cookie" not in response.headers and not session.modified
            and not g.get("page_cache_hit") and _anonymous_get()):
        _store().put(_key(), (response.get_data(), response.content_type),
                     current_app.config["PAGE_CACHE_SECONDS"])
    return response


def init_app(app: Flask) -> None:
    """Register before any other request hook, so that a kept page costs nothing else."""
    store = PageStore(app.config["PAGE_CACHE_ENTRIES"],
                      stale=app.config["PAGE_CACHE_STALE_SECONDS"])
    if url := redis_url_for(app.config):
        app.extensions["page_cache"] = RedisPageStore(
            url, store, prefix=app.config["PAGE_CACHE_REDIS_PREFIX"],
            max_bytes=app.config["PAGE_CACHE_MAX_BYTES"])
    else:
        app.extensions["page_cache"] = store
    memo.init_app(app)
    app.before_request_funcs.setdefault(None, []).insert(0, serve)
    app.after_request(keep)
