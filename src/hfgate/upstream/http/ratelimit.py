"""Token-bucket rate limiting per upstream group, with a bounded queue of waiting requests.

As in Elasticsearch, a group is one (url or model id, api key) pair, the bucket holds a single token
(no bursts: requests are spaced ``60 / requests_per_minute`` seconds apart) and waiting requests sit
in a bounded queue. Unlike it, a request whose turn would come after its own deadline is refused at
once instead of waiting in vain.

Each request reserves the next free slot on a timeline and sleeps until it: the spacing is exact
whatever the event loop's sleep resolution, so over any window the count stays within one request of
``requests_per_minute`` x minutes.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable


class RateLimitRefusedError(Exception):
    """A request could not be given a slot.

    Args:
        why: ``queue_full`` or ``deadline``.
        wait: for ``deadline``, how long the request would have had to wait.
    """

    def __init__(self, why: str, *, wait: float = 0.0) -> None:
        super().__init__(why)
        self.why = why
        self.wait = wait


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
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 60.0 / requests_per_minute
        self.max_waiting = max_waiting
        self._clock = clock
        self._sleep = sleep
        self._next_slot = float("-inf")
        self.waiting = 0

    def set_rate(self, requests_per_minute: float) -> None:
        """Change the rate (an endpoint's settings were updated); takes effect from the next slot."""
        self.interval = 60.0 / requests_per_minute

    async def acquire(self, *, deadline: float) -> float:
        """Wait for this request's slot; the seconds waited (0.0 when the slot was free).

        Raises:
            RateLimitRefusedError: the queue is full, or the slot comes after ``deadline``.
        """
        now = self._clock()
        slot = max(now, self._next_slot)
        if slot > now:
            if self.waiting >= self.max_waiting:
                raise RateLimitRefusedError("queue_full")
            if slot > deadline:
                raise RateLimitRefusedError("deadline", wait=slot - now)
        self._next_slot = slot + self.interval
        if slot <= now:
            return 0.0
        # A cancelled waiter's slot stays used: the limiter errs on the side of sending fewer requests.
        self.waiting += 1
        try:
            await self._sleep(slot - now)
        finally:
            self.waiting -= 1
        return slot - now


class RateLimiters:
    """One :class:`TokenBucket` per (target, api key) group, created on first use.

    Args:
        max_waiting: the queue bound of each group (Elasticsearch uses 2000).
    """

    def __init__(
        self,
        *,
        max_waiting: int = 2000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._max_waiting = max_waiting
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, bytes], TokenBucket] = {}

    def bucket(self, *, target: str, api_key: str, requests_per_minute: float) -> TokenBucket:
        """The group's bucket, at ``requests_per_minute``."""
        # Keyed by a digest so that this table never holds a secret.
        key = (target, hashlib.blake2b(api_key.encode(), digest_size=16).digest())
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(
                requests_per_minute=requests_per_minute,
                max_waiting=self._max_waiting,
                clock=self._clock,
                sleep=self._sleep,
            )
            self._buckets[key] = bucket
        elif bucket.interval != 60.0 / requests_per_minute:
            bucket.set_rate(requests_per_minute)
        return bucket
