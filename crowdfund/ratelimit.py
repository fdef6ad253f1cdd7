"""The gateway's rate budget: at most ``rate`` requests per second on average, ``burst``
at once, for this process (``TokenBucket``) or for every worker on every machine
(``RedisTokenBucket``, when ``CELERY_BROKER_URL`` names a Redis: one bucket kept in Redis,
taken from atomically by a Lua script on Redis's own clock). Stripe's limit is the
platform's, not a process's: with several workers, only the shared bucket keeps to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

import redis


class Bucket(Protocol):
    def acquire(self) -> None: ...


class TokenBucket:
    """This process's bucket; thread-safe."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


# KEYS[1]: the bucket; ARGV: rate (tokens per second), capacity. Refills from the time
# elapsed on Redis's clock (one clock for every machine), takes one token if there is
# one; returns the seconds to wait before trying again ("0": taken).
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 60000)
return tostring(wait)
"""


class RedisTokenBucket:
    """The platform's bucket, shared through Redis by every process that names the same
    ``key``. Redis unreachable: ``acquire`` raises (the call is not made; the item is
    tried again later), never falls back to a budget of its own."""

    def __init__(self, client: redis.Redis, rate: float, burst: int | None = None, *,
                 key: str = "crowdfund:gateway-bucket",
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self.key = key
        self.sleep = sleep
        self._take = client.register_script(_TAKE)

    def try_acquire(self) -> float:
        """Take a token if one is left: 0.0; otherwise the seconds to wait for one."""
        return float(self._take(keys=[self.key], args=[self.rate, self.capacity]))

    def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            self.sleep(wait)


#: One bucket per process and setting: every job and thread of a process takes from the
#: same one (a bucket per job would start each job with a full burst).
_buckets: dict[tuple, Bucket] = {}


def bucket_for(config: Mapping) -> Bucket:
    """The shared bucket when a Redis broker is configured, this process's otherwise.
    Its burst is ``SETTLE_BURST``, or a tenth of a second's worth: over any 5-second
    window the rate stays within 2% of the budget, leaving room for network jitter."""
    rate = config["SETTLE_REQUESTS_PER_SECOND"]
    burst = config.get("SETTLE_BURST") or max(1, int(rate / 10))
    url = config.get("CELERY_BROKER_URL") or ""
    key = (url, rate, burst)
    if key not in _buckets:
        if url.startswith(("redis://", "rediss://", "unix://")):
            _buckets[key] = RedisTokenBucket(redis.Redis.from_url(url), rate, burst)
        else:
            _buckets[key] = TokenBucket(rate, burst)
    return _buckets[key]
