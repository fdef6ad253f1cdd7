"""Gateway calls as a stream: work begun a small group at a time, sent with bounded
concurrency, each answer recorded soon after it came (docs/money.md#crash-safety).

A process killed at any moment loses at most the answers of the last ``seconds`` and the
calls begun but not answered yet (about one group): on resume those are sent again with
their keys (the gateway replays them), and everything before is saved. So work moves
forward however often the process is killed, as long as it lives a little longer than
``seconds`` plus one group's calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")


@dataclass
class Stream(Generic[Item, Answer]):
    """Runs ``send`` on ``pool`` for every item ``begin`` hands out, and ``record`` on the
    answers: ``every`` at most at a time, and none waiting longer than ``seconds``."""

    pool: Executor
    send: Callable[[Item], Answer]
    record: Callable[[list[tuple[Item, Answer]]], None]
    #: Begin the next group once no more than this many items are unanswered (the calls
    #: in flight): the pool never waits for a group, and few items are begun ahead.
    ahead: int
    every: int
    seconds: float
    clock: Callable[[], float] = time.monotonic

    def run(self, begin: Callable[[], list[Item] | None]) -> None:
        """``begin()`` commits and returns the next group to send ([] for a group with
        nothing to send, None when nothing is left); each group is sent in order, and
        every answer recorded before this returns."""
        pending: dict[Future, Item] = {}
        answered: list[tuple[Item, Answer]] = []
        first_at = 0.0  # when the oldest answer not yet recorded came
        left = True
        while left or pending:
            while left and len(pending) <= self.ahead:
                group = begin()
                if group is None:
                    left = False
                for item in group or ():
                    pending[self.pool.submit(self.send, item)] = item
            if not pending:
                continue
            timeout = max(0.0, first_at + self.seconds - self.clock()) if answered else None
            done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                if not answered:
                    first_at = self.clock()
                answered.append((pending.pop(future), future.result()))
            if answered and (len(answered) >= self.every or not pending
                             or self.clock() - first_at >= self.seconds):
                for start in range(0, len(answered), self.every):
                    self.record(answered[start:start + self.every])
                answered = []
