"""One rate budget for the whole platform: every worker on every machine takes its gateway
calls from one bucket kept in Redis."""

import threading
import time

import redis

from crowdfund.ratelimit import RedisTokenBucket, TokenBucket, bucket_for


def _bucket(url, rate, burst, key):
    return RedisTokenBucket(redis.Redis.from_url(url), rate, burst, key=key)


def test_the_burst_then_a_wait_for_the_next_token(redis_url):
    bucket = _bucket(redis_url, rate=2, burst=3, key="test:burst")
    assert [bucket.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.try_acquire()
    assert 0 < wait <= 0.5  # one token comes every half second
    other_machine = _bucket(redis_url, rate=2, burst=3, key="test:burst")
    assert other_machine.try_acquire() > 0  # the same bucket, seen from elsewhere


def test_two_machines_together_keep_to_one_budget(redis_url):
    """Eight threads in two "machines" take as fast as they can for a while: together they
    never get more than the budget allows (rate x time + burst)."""
    rate, burst, seconds = 40.0, 4, 1.5
    machines = [_bucket(redis_url, rate, burst, key="test:shared") for _ in range(2)]
    taken = [0, 0]
    stop = time.monotonic() + seconds

    def work(machine: int) -> None:
        while time.monotonic() < stop:
            machines[machine].acquire()
            if time.monotonic() <= stop:
                taken[machine] += 1

    threads = [threading.Thread(target=work, args=(i % 2,)) for i in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = min(time.monotonic(), stop) - started
    assert sum(taken) <= rate * elapsed + burst + 1
    assert taken[0] > 0 and taken[1] > 0  # both machines were served
    assert sum(taken) > burst  # the bucket refills


def test_without_redis_the_budget_is_this_processs(app):
    assert isinstance(bucket_for(app.config), TokenBucket)
    shared = bucket_for({**app.config, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert isinstance(shared, RedisTokenBucket)
