"""What a limit shared through Redis does when Redis cannot be reached: one policy for every limit.

``HFGATE_REDIS_FAILURE_POLICY`` decides, for the upstream rate limits and the gateway keys' quotas alike:

- ``fail_open`` (default): the limit is kept by this process alone, at its share of it (every limit
  divided by ``HFGATE_REPLICAS``), so that the fleet together still keeps it;
- ``fail_closed``: the request is refused with 503 (:class:`~hfgate.errors.CoordinationUnavailableError`)
  naming the policy.

Either way never a 500. The loss and the return are each logged once and reported to
:class:`~hfgate.ratelimit.limiter.LimitEvents`, and Redis is tried again at most every ``retry_seconds``
while down, so that a lost Redis costs one refused connection a second, not one a request: every call
of a shared limit goes through :meth:`RedisOutage.attempt`, on a client made by :func:`connect`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hfgate.errors import CoordinationUnavailableError
from hfgate.ratelimit.limiter import LimitEvents
from hfgate.ratelimit.timeline import Clock

log = logging.getLogger("hfgate.fleet")

Policy = Literal["fail_open", "fail_closed"]
T = TypeVar("T")


def connect(url: str) -> aioredis.Redis:
    """A client for a shared limit on the Redis server at ``url``: short timeouts, no retries (a limit
    must not hang; a down Redis must cost one refused connection, not seconds of backoff)."""
    return aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))


@dataclass(kw_only=True)
class RedisOutage:
    """Whether one limit's Redis is reachable, and the policy while it is not.

    Args:
        policy: ``fail_open`` or ``fail_closed``.
        limit: what the limit is, in the 503's message (``rate limiter``, ``per-key limits``).
        event: the prefix of the log events (``limit.redis`` logs ``limit.redis.down``, ``limit.redis.up``).
        events: told of refusals and of Redis coming and going.
        retry_seconds: how long to go without Redis after it failed before trying it again.
        clock: monotonic seconds.
    """

    policy: Policy
    limit: str
    event: str
    events: LimitEvents = field(default_factory=LimitEvents)
    retry_seconds: float = 1.0
    clock: Clock = time.monotonic
    available: bool = field(default=True, init=False)
    _down_until: float = field(default=0.0, init=False)

    async def attempt(self, call: Callable[[], Awaitable[T]]) -> T | None:
        """``call``'s answer from Redis, or None when Redis is skipped now or fails (the loss recorded)."""
        if self.skipping():
            return None
        try:
            answer = await call()
        except (RedisError, OSError) as exc:
            self.lost(exc)
            return None
        self.back()
        return answer

    def skipping(self) -> bool:
        """Whether to go without Redis now (it failed less than ``retry_seconds`` ago)."""
        return self.clock() < self._down_until

    def lost(self, error: Exception) -> None:
        """Redis just failed: go without it for a while; log and report the first failure of a run."""
        self._down_until = self.clock() + self.retry_seconds
        if self.available:
            self.available = False
            log.warning(
                "redis unreachable: shared limits follow the failure policy",
                extra={"event": f"{self.event}.down", "limit": self.limit, "policy": self.policy, "error": str(error)},
            )
            self.events.coordination(available=False)

    def back(self) -> None:
        """Redis answered: log and report its return if it had been lost."""
        if not self.available:
            self.available = True
            log.warning(
                "redis reachable again: limits shared", extra={"event": f"{self.event}.up", "limit": self.limit}
            )
            self.events.coordination(available=True)

    def check(self, key: str) -> None:
        """Going without Redis for ``key``: returns under ``fail_open``.

        Raises:
            CoordinationUnavailableError: the policy is ``fail_closed`` (503).
        """
        if self.policy == "fail_closed":
            self.events.refused(key, "unavailable")
            raise CoordinationUnavailableError(
                f"The shared {self.limit} (Redis, HFGATE_REDIS_URL) cannot be reached and "
                "HFGATE_REDIS_FAILURE_POLICY is [fail_closed]: retry shortly, or set it to [fail_open] to "
                "fall back to per-replica limits while Redis is down"
            )
