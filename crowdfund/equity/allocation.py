"""Closing an offering above its maximum: who gets what.

Commitments are counted in units (one share for stock, one minor unit for SAFEs and
notes). When they add up to more than the maximum allows:

- first come, first served: commitments in the order they were made get all they asked
  for until the maximum is reached; the one that crosses it gets what is left (whole
  units), the rest get nothing;
- pro rata: everyone gets the same share, rounded down to whole units; the units left by
  rounding go one each to the largest remainders (earlier commitments first on a tie), so
  the allocation reaches the maximum exactly when units allow and nobody gets more than
  they asked.

Nothing is lost: for each commitment, allocated + returned = committed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ask:
    key: int  # the pledge id; also the order of arrival with ``order``
    order: tuple  # (created_at, id): first come first
    units: int


def first_come(asks: list[Ask], capacity: int) -> dict[int, int]:
    left = capacity
    result = {}
    for ask in sorted(asks, key=lambda a: a.order):
        got = min(ask.units, left)
        result[ask.key] = got
        left -= got
    return result


def pro_rata(asks: list[Ask], capacity: int) -> dict[int, int]:
    total = sum(a.units for a in asks)
    if total <= capacity:
        return {a.key: a.units for a in asks}
    result = {a.key: a.units * capacity // total for a in asks}
    remainders = sorted(asks, key=lambda a: (-(a.units * capacity % total), a.order))
    leftover = capacity - sum(result.values())
    for ask in remainders[:leftover]:
        result[ask.key] += 1
    return result


def allocate(asks: list[Ask], capacity: int, policy: str) -> dict[int, int]:
    """Units allocated to each ask; everyone gets all when the total fits."""
    if sum(a.units for a in asks) <= capacity:
        return {a.key: a.units for a in asks}
    return first_come(asks, capacity) if policy == "first_come" else pro_rata(asks, capacity)
