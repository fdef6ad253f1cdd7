"""Values kept a few seconds per process: small, thread-safe, bounded.

``Store`` is an LRU with an age limit (the page cache keeps whole pages in one).
``shown(key, compute)`` keeps what public pages show and every visitor shares (a
campaign's totals, its funding chart) for ``PAGE_CACHE_SECONDS``: a page for a signed-in
backer then costs no aggregate over every pledge. Rules never read through it (the
last-24-hours rule, the close and the allocation read the database).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

T = TypeVar("T")
_MISSING = object()


class Store:
    """key -> value for ``seconds`` each; at most ``entries`` keys (least recently used
    go first)."""

    def __init__(self, entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.entries = entries
        self.clock = clock
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return default
            if found[0] <= self.clock():
                del self._items[key]
                return default
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: Any, seconds: float) -> None:
        with self._lock:
            self._items[key] = (self.clock() + seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def shown(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave less than PAGE_CACHE_SECONDS ago in this process."""
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if not seconds:
        return compute()
    store: Store = current_app.extensions["shown_values"]
    value = store.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        store.put(key, value, seconds)
    return value


#: Stands for the viewer's CSRF token in HTML kept by ``shown_with_forms``.
CSRF_SLOT = "\x00csrf-token\x00"


def shown_with_forms(key: Hashable, render: Callable[[], str]) -> Markup:
    """HTML with forms in it (``render()``), shared like ``shown`` between signed-in
    viewers whose page differs only by their CSRF token: the token is kept as a slot and
    each viewer gets their own back. Everything else the HTML depends on belongs in
    ``key``."""
    token = generate_csrf()
    kept = shown(key, lambda: str(render()).replace(token, CSRF_SLOT))
    return Markup(kept.replace(CSRF_SLOT, token))  # noqa: S704 - autoescaped template output


def init_app(app) -> None:
    app.extensions["shown_values"] = Store(app.config["PAGE_CACHE_ENTRIES"] * 4)
