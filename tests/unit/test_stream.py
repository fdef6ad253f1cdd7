"""The stream that settlement's gateway calls go through (``settlement.stream``): answers
recorded as they come, in small groups bounded in size and in time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from crowdfund.settlement.stream import Stream


def _run(items: list[int], send, *, every: int, seconds: float, group: int = 4,
         concurrency: int = 2) -> tuple[list[list[int]], list[str]]:
    """The groups recorded, and what happened in which order ("begin n" / "record n")."""
    recorded: list[list[int]] = []
    events: list[str] = []
    left = list(items)

    def begin():
        nonlocal left
        if not left:
            return None
        out, left = left[:group], left[group:]
        events.append(f"begin {out[0]}")
        return out

    def record(answered):
        recorded.append([item for item, _ in answered])
        events.append(f"record {len(answered)}")

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        Stream(pool, send, record, ahead=concurrency, every=every, seconds=seconds).run(begin)
    return recorded, events


def test_every_answer_is_recorded_once_at_most_every_at_a_time():
    recorded, _ = _run(list(range(50)), lambda item: item * 2, every=7, seconds=60)
    assert sorted(i for group in recorded for i in group) == list(range(50))
    assert max(len(group) for group in recorded) <= 7


def test_a_slow_gateway_still_gets_its_answers_recorded_within_the_time_bound():
    """Every answer waits at most ``seconds`` (plus about one answer's time) to be
    recorded, though ``every`` is never reached: a process killed at any moment loses at
    most that much."""
    answered_at: dict[int, float] = {}
    recorded_at: dict[int, float] = {}
    lock = threading.Lock()

    def slow(item: int) -> int:
        time.sleep(0.03)
        with lock:
            answered_at[item] = time.monotonic()
        return item

    def record(answered):
        now = time.monotonic()
        recorded_at.update({item: now for item, _ in answered})

    left = list(range(40))

    def begin():
        nonlocal left
        if not left:
            return None
        out, left = left[:4], left[4:]
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        Stream(pool, slow, record, ahead=2, every=1000, seconds=0.1).run(begin)
    assert sorted(recorded_at) == list(range(40))
    assert max(recorded_at[i] - answered_at[i] for i in range(40)) < 0.3  # 0.1 + slack
    assert len(set(recorded_at.values())) >= 4  # recorded along the way, not at the end


def test_the_next_group_is_begun_while_calls_are_out_and_few_are_begun_ahead():
    in_flight = {"now": 0, "most_begun_ahead": 0}
    begun_unanswered = set()
    lock = threading.Lock()

    def send(item: int) -> int:
        time.sleep(0.005)
        with lock:
            begun_unanswered.discard(item)
        return item

    left = list(range(40))

    def begin():
        nonlocal left
        if not left:
            return None
        out, left = left[:4], left[4:]
        with lock:
            begun_unanswered.update(out)
            in_flight["most_begun_ahead"] = max(in_flight["most_begun_ahead"],
                                                len(begun_unanswered))
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        Stream(pool, send, lambda answered: None, ahead=2, every=10, seconds=1).run(begin)
    # At most the calls out (2) plus one group (4) begun and not answered: a kill leaves
    # that many attempts to send again, not a whole batch.
    assert in_flight["most_begun_ahead"] <= 2 + 4
