"""The token-bucket limiter: exact spacing, the 2% accuracy under a burst, the bounded queue.

A minute-long burst at a real upstream's rate would make the suite a minute longer. The limiter's
arithmetic is free of scale (each request reserves ``slot = max(now, previous + 60/rpm)``), so two
tests stand for it: a simulated clock runs a full minute at the default 3000/min exactly, and a real
clock runs a compressed minute — 60,000 requests at 600,000/min over 6 s — which also exercises the
event loop's sleep resolution, the one thing that does not scale.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from hfgate.errors import RateLimitRefusedError
from hfgate.ratelimit.pacing import RateLimiters, TokenBucket


class SimulatedClock:
    """A clock that only moves when a waiter sleeps: a minute passes in milliseconds."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_a_simulated_minute_at_the_default_rate_sends_exactly_3000() -> None:
    clock = SimulatedClock()
    bucket = TokenBucket(requests_per_minute=3000, max_waiting=10, clock=clock, sleep=clock.sleep)
    sent = 0
    while True:
        await bucket.acquire(deadline=float("inf"))
        if clock.now >= 60.0:
            break
        sent += 1
    assert sent == 3000


@pytest.mark.slow  # seconds of real waiting: in `make test`, not `make check`
async def test_a_burst_holds_the_rate_within_two_percent_on_a_real_clock() -> None:
    requests_per_minute, window, workers = 60_000, 6.0, 64  # 1,000 a second: well within a loaded 2-core CI machine
    bucket = TokenBucket(requests_per_minute=requests_per_minute, max_waiting=workers)
    start = time.monotonic()
    end = start + window
    sent = 0

    async def worker() -> None:
        nonlocal sent
        while True:
            await bucket.acquire(deadline=end + 1)
            if time.monotonic() >= end:
                return
            sent += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    expected = requests_per_minute * window / 60
    assert abs(sent - expected) <= 0.02 * expected, (sent, expected)


async def test_a_full_queue_refuses_at_once() -> None:
    bucket = TokenBucket(requests_per_minute=60, max_waiting=2)
    deadline = time.monotonic() + 30
    await bucket.acquire(deadline=deadline)  # the free slot
    waiters = [asyncio.create_task(bucket.acquire(deadline=deadline)) for _ in range(2)]
    await asyncio.sleep(0)
    try:
        with pytest.raises(RateLimitRefusedError) as refused:
            await bucket.acquire(deadline=deadline)
        assert refused.value.why == "queue_full"
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


async def test_a_slot_after_the_deadline_is_refused_instead_of_awaited() -> None:
    bucket = TokenBucket(requests_per_minute=6, max_waiting=10)
    await bucket.acquire(deadline=time.monotonic() + 1)
    started = time.monotonic()
    with pytest.raises(RateLimitRefusedError) as refused:
        await bucket.acquire(deadline=time.monotonic() + 1)
    assert refused.value.why == "deadline"
    assert refused.value.wait > 9
    assert time.monotonic() - started < 0.5


def test_groups_are_per_target_and_key_and_follow_rate_changes() -> None:
    limiters = RateLimiters()
    a = limiters.bucket(target="http://x", api_key="k1", requests_per_minute=60)
    assert limiters.bucket(target="http://x", api_key="k1", requests_per_minute=60) is a
    assert limiters.bucket(target="http://x", api_key="k2", requests_per_minute=60) is not a
    assert limiters.bucket(target="http://y", api_key="k1", requests_per_minute=60) is not a
    limiters.bucket(target="http://x", api_key="k1", requests_per_minute=120)
    assert a.interval == 0.5
