"""One rate limit for the whole fleet: an atomic Redis script per admission.

Each key holds the next free slot of its timeline, in microseconds of Redis' own clock (so replicas on
machines whose clocks differ agree). One Lua script reads it, checks the request may wait that long,
and moves it one interval on — all in one step, so there is no read-then-write race between replicas:
admissions are spaced ``60 / requests_per_minute`` seconds apart across the fleet, exactly as
:class:`~hfgate.upstream.http.ratelimit.TokenBucket` spaces them in one process. The fleet-wide queue
is bounded too: a slot more than ``max_waiting`` intervals ahead is refused (``queue_full``).

When Redis cannot be reached, the policy decides: ``fail_open`` admits through the per-process
fallback limiter (every limit divided by the configured replica count, so the fleet still keeps it);
``fail_closed`` answers 503. Each transition (lost, back) is logged once, and reported to
:class:`~hfgate.fleet.limits.LimitEvents`. Redis is retried at most every ``retry_seconds`` while down.

Any limit can use it: the key is any string (an upstream group, a gateway key…).

Example:
    >>> limiter = RedisLimiter.from_url("redis://127.0.0.1:6379/0", fallback=RateLimiters(share=1 / 3))
    >>> # await limiter.acquire("tei|digest", requests_per_minute=600, deadline=time.monotonic() + 5)
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hfgate.errors import CoordinationUnavailableError
from hfgate.fleet.limits import Limiter, LimitEvents, RateLimitRefusedError

log = logging.getLogger("hfgate.fleet")

Policy = Literal["fail_open", "fail_closed"]

# KEYS[1] the key; ARGV: interval µs, longest wait µs, max waiting. Returns {verdict, wait µs}:
# 0 queue full, 1 past the deadline, 2 admitted.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local wait = slot - now
if wait > 0 then
  if wait >= interval * tonumber(ARGV[3]) then return {0, wait} end
  if wait > tonumber(ARGV[2]) then return {1, wait} end
end
local nxt = slot + interval
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
return {2, wait}
"""

_VERDICTS = {0: "queue_full", 1: "deadline"}


class RedisLimiter:
    """The :class:`~hfgate.fleet.limits.Limiter` contract, enforced across every replica through Redis.

    Args:
        client: an asyncio Redis client (short socket timeouts: a limiter must not hang).
        fallback: the per-process limiter used under ``fail_open`` while Redis is down.
        policy: ``fail_open`` or ``fail_closed``.
        prefix: the Redis key prefix (one per fleet, or per test run).
        max_waiting: the fleet-wide queue bound of each key.
        events: told of waits, refusals and Redis coming and going.
        retry_seconds: how long to skip Redis after it failed before trying again.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        fallback: Limiter,
        policy: Policy = "fail_open",
        prefix: str = "hfgate:limit:",
        max_waiting: int = 2000,
        events: LimitEvents | None = None,
        retry_seconds: float = 1.0,
    ) -> None:
        self.client = client
        self.fallback = fallback
        self.policy = policy
        self.prefix = prefix
        self.max_waiting = max_waiting
        self.events = events or LimitEvents()
        self.retry_seconds = retry_seconds
        self._script = client.register_script(_RESERVE)
        self._down_until = 0.0
        self._available = True

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisLimiter:
        """A limiter on the Redis server at ``url`` (``redis://host:port/db``)."""
        # No client-side retries: a down Redis must cost one refused connection, not seconds of backoff.
        client = aioredis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )
        return cls(client, **kwargs)

    async def acquire(self, key: str, *, requests_per_minute: float, deadline: float) -> None:
        """Wait for ``key``'s next fleet-wide slot.

        Raises:
            RateLimitRefusedError: the fleet's queue is full, or the slot comes after ``deadline``.
            CoordinationUnavailableError: Redis is unreachable and the policy is ``fail_closed``.
        """
        if time.monotonic() < self._down_until:
            return await self._without_redis(key, requests_per_minute=requests_per_minute, deadline=deadline)
        interval = round(60_000_000 / requests_per_minute)
        longest = max(0, round((deadline - time.monotonic()) * 1_000_000))
        try:
            verdict, wait = await self._script(keys=[self.prefix + key], args=[interval, longest, self.max_waiting])
        except (RedisError, OSError) as exc:
            self._lost(exc)
            return await self._without_redis(key, requests_per_minute=requests_per_minute, deadline=deadline)
        self._back()
        seconds = int(wait) / 1_000_000
        if int(verdict) in _VERDICTS:
            self.events.refused(key, _VERDICTS[int(verdict)])
            raise RateLimitRefusedError(_VERDICTS[int(verdict)], wait=seconds)
        if seconds > 0:
            self.events.waited(key, seconds)
            await asyncio.sleep(seconds)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _without_redis(self, key: str, *, requests_per_minute: float, deadline: float) -> None:
        if self.policy == "fail_closed":
            self.events.refused(key, "unavailable")
            raise CoordinationUnavailableError(
                "The shared rate limiter (Redis, HFGATE_REDIS_URL) cannot be reached and "
                "HFGATE_REDIS_FAILURE_POLICY is [fail_closed]: retry shortly, or set it to [fail_open] to "
                "fall back to per-replica limits while Redis is down"
            )
        await self.fallback.acquire(key, requests_per_minute=requests_per_minute, deadline=deadline)

    def _lost(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.retry_seconds
        if self._available:
            self._available = False
            log.warning(
                "redis unreachable: rate limits follow the failure policy",
                extra={"event": "limit.redis.down", "policy": self.policy, "error": str(exc)},
            )
            self.events.coordination(available=False)

    def _back(self) -> None:
        if not self._available:
            self._available = True
            log.warning("redis reachable again: fleet-wide rate limits", extra={"event": "limit.redis.up"})
            self.events.coordination(available=True)
