"""Reading from the gateway under the platform's rate budget: look-ups and list pages.

Every request takes a token from the same bucket as settlement's charges
(``crowdfund.ratelimit``), so a long listing (reconciliation reads a day's objects 100 a
page) never pushes the platform past the gateway's limit; a 429 or a connection error is
retried with jittered backoff, like a charge. Reads move no money: they carry no key.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from crowdfund.payments.gateway import GatewayUnavailable, RateLimited
from crowdfund.payments.listings import Page

log = logging.getLogger("crowdfund.settlement")
T = TypeVar("T")


class _Budget(Protocol):
    """``crowdfund.ratelimit``'s budgets: ``acquire`` waits for the next request's turn."""

    def acquire(self) -> object: ...


@dataclass
class GatewayReader:
    """Gateway reads for one run: each request takes a token; ``requests`` counts them."""

    bucket: _Budget
    max_tries: int = 6
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0

    @classmethod
    def of(cls, settler) -> GatewayReader:
        """The budget a :class:`~crowdfund.settlement.runner.Settler` spends from."""
        return cls(settler.bucket, settler.max_tries, settler.backoff, settler.sleep)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One read, retried on 429 and connection errors; the last such error is raised
        when the tries run out (the caller's item fails and is tried on a later pass)."""
        for attempt in range(self.max_tries):
            self.bucket.acquire()
            self.requests += 1
            try:
                return fn(*args, **kwargs)
            except (RateLimited, GatewayUnavailable) as error:
                if attempt == self.max_tries - 1:
                    raise
                delay = self.backoff * (2 ** attempt) * (0.5 + random.random())  # noqa: S311
                log.warning("%s: %s; retrying in %.2fs", getattr(fn, "__name__", "read"),
                            type(error).__name__, delay)
                self.sleep(delay)
        raise AssertionError("unreachable")  # max_tries >= 1

    def pages(self, fn: Callable[..., Page[T]], **kwargs: Any) -> Iterator[T]:
        """Every item of a list call, one request (one token) per page."""
        after: str | None = None
        while True:
            page = self.call(fn, starting_after=after, **kwargs)
            yield from page.items
            after = page.next_after
            if after is None:
                return
