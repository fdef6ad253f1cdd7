"""Allocation above the maximum: totals never exceed it, nobody gets more than they asked,
and nothing is unaccounted for."""

import random

import pytest

from crowdfund.equity.allocation import Ask, allocate


def asks(*units):
    return [Ask(key=i, order=(i,), units=u) for i, u in enumerate(units)]


def test_everyone_gets_all_when_it_fits():
    assert allocate(asks(10, 20), 30, "pro_rata") == {0: 10, 1: 20}
    assert allocate(asks(10, 20), 30, "first_come") == {0: 10, 1: 20}


def test_first_come_first_served():
    assert allocate(asks(50, 40, 30), 100, "first_come") == {0: 50, 1: 40, 2: 10}
    assert allocate(asks(100, 1), 100, "first_come") == {0: 100, 1: 0}


def test_pro_rata_with_rounding_to_the_maximum():
    # 200 asked for 100: everyone halved; 33 of 67 leaves remainders to place.
    assert allocate(asks(100, 67, 33), 100, "pro_rata") == {0: 50, 1: 34, 2: 16}
    result = allocate(asks(1, 1, 1), 2, "pro_rata")
    assert sum(result.values()) == 2 and result == {0: 1, 1: 1, 2: 0}  # earlier first


@pytest.mark.parametrize("policy", ["pro_rata", "first_come"])
@pytest.mark.parametrize("seed", range(30))
def test_properties(policy, seed):
    rng = random.Random(seed)
    units = [rng.randint(1, 5000) for _ in range(rng.randint(1, 40))]
    capacity = rng.randint(1, sum(units))
    result = allocate(asks(*units), capacity, policy)
    assert sum(result.values()) == min(capacity, sum(units))  # exactly the maximum
    for i, asked in enumerate(units):
        assert 0 <= result[i] <= asked
