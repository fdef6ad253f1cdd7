"""Rate budgets shared by every process: the gateway's (``SETTLE_REQUESTS_PER_SECOND``)
and the mail provider's (``MAIL_MESSAGES_PER_SECOND``).

A budget lets calls go one every ``1 / rate`` seconds (a virtual schedule, GCRA), up to
``burst`` at once after a pause, and never more than ``rate x WINDOW`` (5 s) in any
``WINDOW`` seconds: the burst is counted inside the budget, not on top of it. A caller
that must wait reserves the next slot and sleeps until it, so waiting callers are served
in turn and the budget is used to the full. Kept for this process (:class:`LocalBudget`)
or, when ``CELERY_BROKER_URL`` names a Redis, for every worker on every machine
(:class:`RedisBudget`: one schedule in Redis, taken from atomically by a Lua script on
Redis's own clock). Stripe's limit is the platform's, not a process's: with several
workers, only the shared budget keeps to it.

What holds (``tests/services/test_rate_budget.py``): at most ``rate x 5`` calls are let go
in any 5-second window, on the budget's clock. The gateway sees each call a little later,
after the network and the sending process: calls delayed unevenly by up to 0.1 s add at
most ``rate x 0.1`` (2%) to a window there (docs/money.md#the-rate-budget).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import redis

#: The budget holds over every window this long (seconds): at most ``rate x WINDOW`` calls.
WINDOW = 5.0
GATEWAY_KEY, MAIL_KEY = "crowdfund:gateway-budget", "crowdfund:mail-budget"


class Budget(Protocol):
    def acquire(self) -> object: ...


class Slot(NamedTuple):
    """A call let go: when, on the budget's clock (seconds), and how long its caller waits
    for it from now."""

    at: float
    wait: float


@dataclass(frozen=True)
class Shape:
    """A budget's numbers: ``interval`` seconds between calls on average, calls up to
    ``tolerance`` seconds ahead of that schedule (the burst), ``cap`` calls at most in any
    ``window`` seconds."""

    interval: float
    tolerance: float
    cap: int
    window: float

    @classmethod
    def of(cls, rate: float, burst: int | None, window: float = WINDOW) -> Shape:
        if rate <= 0:
            raise ValueError(f"a rate budget needs a rate above 0, not {rate!r}")
        cap = max(1, int(rate * window))
        burst = min(cap, max(1, int(burst or 1)))
        return cls(1 / rate, (burst - 1) / rate, cap, window)


class LocalBudget:
    """This process's budget (every thread of it takes from it); ``clock`` in seconds."""

    def __init__(self, rate: float, burst: int | None = None, *, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.shape = Shape.of(rate, burst, window)
        self.clock, self.sleep = clock, sleep
        #: When the next call is due on the schedule (None: never called yet).
        self.due: float | None = None
        #: The last ``cap`` calls, oldest first.
        self.calls: deque[float] = deque(maxlen=self.shape.cap)
        self.lock = threading.Lock()

    def _slot(self, now: float) -> float:
        shape = self.shape
        while self.calls and self.calls[0] <= now - shape.window:
            self.calls.popleft()  # out of every window from now on
        slot = now if self.due is None else max(now, self.due - shape.tolerance)
        if self.calls:
            slot = max(slot, self.calls[-1])  # slots in order
        if len(self.calls) == shape.cap:  # the window is full until its oldest call leaves
            slot = max(slot, self.calls[0] + shape.window + 1e-6)
        return slot

    def _take(self, slot: float) -> None:
        self.due = max(slot if self.due is None else self.due, slot) + self.shape.interval
        self.calls.append(slot)

    def try_acquire(self) -> float:
        """Take a call now if the budget allows one: 0.0; otherwise the seconds until it
        would (nothing taken)."""
        with self.lock:
            now = self.clock()
            slot = self._slot(now)
            if slot > now:
                return slot - now
            self._take(slot)
            return 0.0

    def reserve(self) -> Slot:
        """Take the next free slot, now or later."""
        with self.lock:
            now = self.clock()
            slot = self._slot(now)
            self._take(slot)
            return Slot(slot, max(0.0, slot - now))

    def acquire(self) -> Slot:
        """Wait for the next free slot (the call may go when this returns)."""
        slot = self.reserve()
        if slot.wait > 0:
            self.sleep(slot.wait)
        return slot


# The same schedule kept in Redis, in whole microseconds of Redis's clock (one clock for
# every machine). KEYS[1]: a hash (due: the schedule; seen: the latest time read), KEYS[2]:
# the last calls, newest first. ARGV: interval, tolerance, window (microseconds), cap,
# reserve ("1": take the next slot even if it is later). Returns the microseconds to wait
# ("0": go now) and the slot; without reserve, a wait means nothing was taken.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'due', 'seen')
local due, seen = tonumber(state[1]), tonumber(state[2])
if seen and now < seen - 1000000 then
  -- Redis's clock was set back: the schedule and the calls are in the old time, start afresh
  due, seen = nil, nil
  redis.call('DEL', KEYS[2])
end
local oldest = redis.call('LINDEX', KEYS[2], -1)
while oldest and tonumber(oldest) <= now - window do
  redis.call('RPOP', KEYS[2])  -- out of every window from now on
  oldest = redis.call('LINDEX', KEYS[2], -1)
end
local slot = now
if due then slot = math.max(now, due - tolerance) end
local newest = redis.call('LINDEX', KEYS[2], 0)
if newest then slot = math.max(slot, tonumber(newest)) end  -- slots in order
if redis.call('LLEN', KEYS[2]) >= cap then
  slot = math.max(slot, tonumber(redis.call('LINDEX', KEYS[2], cap - 1)) + window + 1)
end
if slot > now and ARGV[5] ~= '1' then
  return {string.format('%.0f', slot - now), string.format('%.0f', slot)}
end
due = math.max(due or slot, slot) + interval
local keep = math.ceil((due - now + window) / 1000) + 60000
redis.call('HSET', KEYS[1], 'due', string.format('%.0f', due),
           'seen', string.format('%.0f', math.max(now, seen or now)))
redis.call('LPUSH', KEYS[2], string.format('%.0f', slot))
redis.call('LTRIM', KEYS[2], 0, cap - 1)
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
return {string.format('%.0f', slot - now), string.format('%.0f', slot)}
"""


class RedisBudget:
    """The platform's budget, shared through Redis by every process that names the same
    ``key``. Redis unreachable: ``acquire`` raises (the call is not made; the item is
    tried again later), never falls back to a budget of its own."""

    def __init__(self, client: redis.Redis, rate: float, burst: int | None = None, *,
                 key: str = GATEWAY_KEY, window: float = WINDOW,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.shape = Shape.of(rate, burst, window)
        self.key = key
        self.sleep = sleep
        self._take = client.register_script(_TAKE)

    def _run(self, reserve: bool) -> Slot:
        shape, micro = self.shape, 1_000_000
        wait, at = self._take(keys=[self.key, f"{self.key}:calls"], args=[
            shape.interval * micro, shape.tolerance * micro, round(shape.window * micro),
            shape.cap, "1" if reserve else "0"])
        return Slot(int(at) / micro, int(wait) / micro)

    def try_acquire(self) -> float:
        """Take a call now if the budget allows one: 0.0; otherwise the seconds until it
        would (nothing taken)."""
        return self._run(reserve=False).wait

    def reserve(self) -> Slot:
        """Take the next free slot, now or later (on Redis's clock)."""
        return self._run(reserve=True)

    def acquire(self) -> Slot:
        """Wait for the next free slot (the call may go when this returns)."""
        slot = self.reserve()
        if slot.wait > 0:
            self.sleep(slot.wait)
        return slot


class NoBudget:
    """No limit (``MAIL_MESSAGES_PER_SECOND=0``: a mail relay of your own)."""

    def acquire(self) -> None:
        return None


#: One budget per process and setting: every job and thread of a process takes from the
#: same one (a budget per job would start each job with a full burst).
_budgets: dict[tuple, Budget] = {}
_budgets_lock = threading.Lock()


def shared_budget(config: Mapping, key: str, rate: float, burst: int) -> Budget:
    """The budget ``key``, shared through Redis when a Redis broker is configured, this
    process's otherwise."""
    url = config.get("CELERY_BROKER_URL") or ""
    found = (url, key, rate, burst)
    with _budgets_lock:
        if found not in _budgets:
            if url.startswith(("redis://", "rediss://", "unix://")):
                _budgets[found] = RedisBudget(redis.Redis.from_url(url), rate, burst, key=key)
            else:
                _budgets[found] = LocalBudget(rate, burst)
        return _budgets[found]


def bucket_for(config: Mapping) -> Budget:
    """The gateway's budget (``SETTLE_REQUESTS_PER_SECOND``). Its burst is
    ``SETTLE_BURST``, or a tenth of a second's worth; either way inside the 5-second
    budget."""
    rate = config["SETTLE_REQUESTS_PER_SECOND"]
    burst = config.get("SETTLE_BURST") or max(1, int(rate / 10))
    return shared_budget(config, GATEWAY_KEY, rate, burst)


def mail_budget(config: Mapping) -> Budget:
    """The mail provider's budget (``MAIL_MESSAGES_PER_SECOND``; 0: none), with a burst of
    a tenth of a second's worth."""
    rate = config.get("MAIL_MESSAGES_PER_SECOND") or 0
    if rate <= 0:
        return NoBudget()
    return shared_budget(config, MAIL_KEY, rate, max(1, int(rate / 10)))
