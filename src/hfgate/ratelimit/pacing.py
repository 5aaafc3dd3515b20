"""Upstream pacing in one process: a token bucket per upstream group, with a bounded queue of waiting requests.

As in Elasticsearch, a group is one (url or model id, api key) pair, the bucket holds a single token
(no bursts: requests are spaced ``60 / requests_per_minute`` seconds apart) and waiting requests sit
in a bounded queue. Unlike it, a request whose turn would come after its own deadline is refused at
once instead of waiting in vain.

Each request reserves the next free slot on a timeline (:mod:`~hfgate.ratelimit.timeline`) and sleeps
until it: the spacing is exact whatever the event loop's sleep resolution, so over any window the count
stays within one request of ``requests_per_minute`` x minutes.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable

from hfgate.errors import RateLimitRefusedError
from hfgate.ratelimit.limiter import LimitEvents
from hfgate.ratelimit.timeline import Clock, Timelines, interval, seconds


class TokenBucket:
    """Spaces requests ``60 / requests_per_minute`` seconds apart.

    Args:
        requests_per_minute: the rate.
        max_waiting: most requests waiting at once; more are refused (``queue_full``).
        clock: monotonic seconds; injectable so that a long run can be simulated exactly.
        sleep: the coroutine that waits (paired with ``clock``).

    Example:
        >>> bucket = TokenBucket(requests_per_minute=600, max_waiting=10)
        >>> # await bucket.acquire(deadline=time.monotonic() + 5)
    """

    def __init__(
        self,
        *,
        requests_per_minute: float,
        max_waiting: int,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_waiting = max_waiting
        self.waiting = 0
        self._slots = Timelines(clock=clock)
        self._sleep = sleep
        self.set_rate(requests_per_minute)

    def set_rate(self, requests_per_minute: float) -> None:
        """Change the rate (an endpoint's settings were updated); takes effect from the next slot."""
        self.interval = 60.0 / requests_per_minute
        self._interval = interval(requests_per_minute)

    async def acquire(self, *, deadline: float) -> float:
        """Wait for this request's slot; the seconds waited (0.0 when the slot was free).

        Raises:
            RateLimitRefusedError: the queue is full, or the slot comes after ``deadline``.
        """
        now = self._slots.now()
        wait = self._slots.ahead("", now=now)
        if wait > 0:
            if self.waiting >= self.max_waiting:
                raise RateLimitRefusedError("queue_full")
            if seconds(now + wait) > deadline:
                raise RateLimitRefusedError("deadline", wait=seconds(wait))
        self._slots.take("", now=now, interval=self._interval)
        if wait == 0:
            return 0.0
        # A cancelled waiter's slot stays used: the limiter errs on the side of sending fewer requests.
        self.waiting += 1
        try:
            await self._sleep(seconds(wait))
        finally:
            self.waiting -= 1
        return seconds(wait)


class RateLimiters:
    """One :class:`TokenBucket` per key (a (target, api key) group…), created on first use.

    Args:
        max_waiting: the queue bound of each group (Elasticsearch uses 2000).
        share: the part of every limit this process keeps: ``1 / replicas`` when several replicas
            share a limit without Redis, so that together they keep it.
        events: told of waits and refusals (metrics).
    """

    def __init__(
        self,
        *,
        max_waiting: int = 2000,
        share: float = 1.0,
        events: LimitEvents | None = None,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_waiting = max_waiting
        self.share = share
        self.events = events or LimitEvents()
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, key: str, *, requests_per_minute: float, deadline: float) -> float:
        """Wait for ``key``'s next slot; the seconds waited (the :class:`~hfgate.ratelimit.limiter.Limiter` contract).

        Raises:
            RateLimitRefusedError: the queue is full, or the slot comes after ``deadline``.
        """
        bucket = self._bucket(key, requests_per_minute * self.share)
        try:
            waited = await bucket.acquire(deadline=deadline)
        except RateLimitRefusedError as exc:
            self.events.refused(key, exc.why)
            raise
        if waited > 0:
            self.events.waited(key, waited)
        return waited

    def bucket(self, *, target: str, api_key: str, requests_per_minute: float) -> TokenBucket:
        """The (target, api key) group's bucket, at ``requests_per_minute`` (times ``share``)."""
        return self._bucket(group_key(target, api_key), requests_per_minute * self.share)

    def _bucket(self, key: str, requests_per_minute: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(
                requests_per_minute=requests_per_minute,
                max_waiting=self.max_waiting,
                clock=self._clock,
                sleep=self._sleep,
            )
            self._buckets[key] = bucket
        elif bucket.interval != 60.0 / requests_per_minute:
            bucket.set_rate(requests_per_minute)
        return bucket


def group_key(target: str, api_key: str) -> str:
    """The limiter key of a (target, api key) group; a digest, so that no table or Redis key holds a secret."""
    return f"{target}|{hashlib.blake2b(api_key.encode(), digest_size=16).hexdigest()}"
