"""Upstream pacing for the whole fleet: an atomic Redis script per admission.

Each key holds the next free slot of its timeline, in microseconds of Redis' own clock (so replicas on
machines whose clocks differ agree). One Lua script reads it, checks the request may wait that long,
and moves it one interval on — all in one step, so there is no read-then-write race between replicas:
admissions are spaced ``60 / requests_per_minute`` seconds apart across the fleet, exactly as
:class:`~hfgate.ratelimit.pacing.TokenBucket` spaces them in one process. The fleet-wide queue
is bounded too: a slot more than ``max_waiting`` intervals ahead is refused (``queue_full``).
Requests for one key that arrive in the same event-loop turn share one script call (each still gets
its own slot and its own verdict): under load this divides the Redis round trips, and their CPU.

When Redis cannot be reached, the one policy of every shared limit decides
(:mod:`hfgate.ratelimit.outage`): ``fail_open`` admits through the per-process fallback limiter (every
limit divided by the configured replica count, so the fleet still keeps it); ``fail_closed`` answers 503.
Each transition (lost, back) is logged once, and reported to :class:`~hfgate.ratelimit.limiter.LimitEvents`.
Redis is retried at most every ``retry_seconds`` while down.

Any limit can use it: the key is any string (an upstream group, a gateway key…).

Example:
    >>> limiter = RedisLimiter.from_url("redis://127.0.0.1:6379/0", fallback=RateLimiters(share=1 / 3))
    >>> # await limiter.acquire("tei|digest", requests_per_minute=600, deadline=time.monotonic() + 5)
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis.asyncio as aioredis

from hfgate.errors import RateLimitRefusedError
from hfgate.ratelimit.limiter import Limiter, LimitEvents
from hfgate.ratelimit.outage import Policy, RedisOutage, connect
from hfgate.ratelimit.timeline import Clock

# KEYS[1] the key; ARGV: interval µs, max waiting, then the longest wait (µs) of each request of the
# batch. Returns {verdict, wait µs} per request: 0 queue full, 1 past its deadline, 2 admitted.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local full = interval * tonumber(ARGV[2])
local first = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local slot = first
local out = {}
for i = 3, #ARGV do
  local wait = slot - now
  local verdict = 2
  if wait > 0 and wait >= full then verdict = 0
  elseif wait > tonumber(ARGV[i]) then verdict = 1 end
  if verdict == 2 then slot = slot + interval end
  out[#out + 1] = verdict
  out[#out + 1] = wait
end
if slot > first then
  redis.call('SET', KEYS[1], string.format('%.0f', slot), 'PX', math.ceil((slot - now) / 1000) + 1000)
end
return out
"""

_VERDICTS = {0: "queue_full", 1: "deadline"}


class RedisLimiter:
    """The :class:`~hfgate.ratelimit.limiter.Limiter` contract, enforced across every replica through Redis.

    Args:
        client: an asyncio Redis client (short socket timeouts: a limiter must not hang).
        fallback: the per-process limiter used under ``fail_open`` while Redis is down.
        policy: ``fail_open`` or ``fail_closed``.
        prefix: the Redis key prefix (one per fleet, or per test run).
        max_waiting: the fleet-wide queue bound of each key.
        events: told of waits, refusals and Redis coming and going.
        retry_seconds: how long to skip Redis after it failed before trying again.
        clock: monotonic seconds (deadlines are on it).
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
        clock: Clock = time.monotonic,
    ) -> None:
        self.client = client
        self.fallback = fallback
        self.prefix = prefix
        self.max_waiting = max_waiting
        self.events = events or LimitEvents()
        self.outage = RedisOutage(
            policy=policy,
            limit="rate limiter",
            event="limit.redis",
            events=self.events,
            retry_seconds=retry_seconds,
            clock=clock,
        )
        self._clock = clock
        self._script = client.register_script(_RESERVE)
        self._batches: dict[str, list[tuple[int, asyncio.Future[tuple[int, int]]]]] = {}
        self._flushes: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisLimiter:
        """A limiter on the Redis server at ``url`` (``redis://host:port/db``)."""
        return cls(connect(url), **kwargs)

    async def acquire(self, key: str, *, requests_per_minute: float, deadline: float) -> float:
        """Wait for ``key``'s next fleet-wide slot; the seconds waited.

        Raises:
            RateLimitRefusedError: the fleet's queue is full, or the slot comes after ``deadline``.
            CoordinationUnavailableError: Redis is unreachable and the policy is ``fail_closed``.
        """
        interval = round(60_000_000 / requests_per_minute)
        longest = max(0, round((deadline - self._clock()) * 1_000_000))
        answer = await self.outage.attempt(lambda: self._reserve(key, interval=interval, longest=longest))
        if answer is None:
            self.outage.check(key)
            return await self.fallback.acquire(key, requests_per_minute=requests_per_minute, deadline=deadline)
        verdict, wait = answer
        seconds = int(wait) / 1_000_000
        if int(verdict) in _VERDICTS:
            self.events.refused(key, _VERDICTS[int(verdict)])
            raise RateLimitRefusedError(_VERDICTS[int(verdict)], wait=seconds)
        if seconds > 0:
            self.events.waited(key, seconds)
            await asyncio.sleep(seconds)
        return seconds

    async def aclose(self) -> None:
        await self.client.aclose()

    def _reserve(self, key: str, *, interval: int, longest: int) -> asyncio.Future[tuple[int, int]]:
        """Join the key's batch for this loop turn (starting it if first); resolves to (verdict, wait µs)."""
        future: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = []
            flush = asyncio.create_task(self._flush(key, interval))  # runs after this turn's other requests
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        batch.append((longest, future))
        return future

    async def _flush(self, key: str, interval: int) -> None:
        batch = self._batches.pop(key)
        args = [interval, self.max_waiting, *(longest for longest, _ in batch)]
        try:
            flat = await self._script(keys=[self.prefix + key], args=args)
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for index, (_, future) in enumerate(batch):
            if not future.done():  # a cancelled request's slot stays used: fewer requests, never more
                future.set_result((int(flat[2 * index]), int(flat[2 * index + 1])))
