"""Requests and tokens per minute per gateway key: refused with 429 and ``Retry-After`` when used up.

Both limits are budgets that refill continuously (GCRA, as a token bucket without a timer, on the
timelines of :mod:`hfgate.ratelimit.timeline`): a key with ``requests_per_minute=60`` may send 60
requests at once, then one a second. Tokens are only known once a request has run, so they are charged
afterwards; a key is refused while its token budget is overdrawn.

:class:`LocalQuota` keeps the budgets in this process, at its share of every limit (``1 / replicas``).
:class:`RedisQuota` keeps them in Redis, shared by every replica, on the Redis client of the fleet's rate
limiter (:mod:`hfgate.fleet.redis_limit`) and under the same failure policy
(:mod:`hfgate.ratelimit.outage`): ``fail_open`` falls back on the process's share of the budgets,
``fail_closed`` 503s.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hfgate.access.principal import Principal
from hfgate.errors import KeyLimitError
from hfgate.ratelimit.outage import Policy, RedisOutage
from hfgate.ratelimit.timeline import Clock, Timelines, interval, nanoseconds, seconds

log = logging.getLogger("hfgate.keys")
WINDOW = 60.0
_WINDOW_NS = nanoseconds(WINDOW)


class Quota(Protocol):
    async def admit(self, principal: Principal) -> None:
        """Raises KeyLimitError when the key's requests or tokens per minute are used up."""
        ...

    async def charge(self, principal: Principal, tokens: int) -> None:
        """Count ``tokens`` (input + output) against the key's budget."""
        ...


def refusal(principal: Principal, *, what: str, limit: int, wait: float) -> KeyLimitError:
    seconds = max(1, math.ceil(wait))
    return KeyLimitError(
        f"API key [{principal.name}] (id [{principal.key_id}]) has used its {what} per minute [{limit}]; "
        f"retry in {seconds} s, or ask an admin for a key with a higher limit",
        retry_after=seconds,
    )


class LocalQuota:
    """Budgets in this process (no Redis, or Redis unreachable under ``fail_open``).

    Args:
        share: the part of every budget this process keeps: ``1 / replicas``, so that replicas that
            cannot share their budgets still keep them together.
        clock: monotonic seconds.
    """

    def __init__(self, *, share: float = 1.0, clock: Clock = time.monotonic) -> None:
        self.share = share
        self._requests = Timelines(clock=clock)  # key id → when its next request's share is free
        self._tokens = Timelines(clock=clock)

    async def admit(self, principal: Principal) -> None:
        now = self._requests.now()
        key = principal.key_id
        tpm = principal.tokens_per_minute
        if tpm is not None and (overdrawn := self._tokens.ahead(key, now=now)) >= _WINDOW_NS:
            raise refusal(principal, what="tokens", limit=tpm, wait=seconds(overdrawn - _WINDOW_NS))
        rpm = principal.requests_per_minute
        if rpm is not None:
            spacing = interval(rpm * self.share)
            # a minute's worth at once: the next slot may be up to a minute ahead, less the one taken now
            # (a share below one request a minute still admits one request per interval)
            burst = max(_WINDOW_NS - spacing, 0)
            if (ahead := self._requests.ahead(key, now=now)) > burst:
                raise refusal(principal, what="requests", limit=rpm, wait=seconds(ahead - burst))
            self._requests.take(key, now=now, interval=spacing)

    async def charge(self, principal: Principal, tokens: int) -> None:
        if principal.tokens_per_minute is None or tokens <= 0:
            return
        cost = nanoseconds(tokens * WINDOW / (principal.tokens_per_minute * self.share))
        self._tokens.take(principal.key_id, now=self._tokens.now(), interval=cost)


# KEYS: requests, tokens. ARGV: request interval µs (0: no limit), tokens limit (0: none). Returns
# {0, 0} admitted, {1, wait µs} requests used up, {2, wait µs} tokens overdrawn. Redis' clock for all.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = 60000000
if tonumber(ARGV[2]) > 0 then
  local tokens = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tokens - now >= window then return {2, tokens - now - window} end
end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local next_at = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + interval
  if next_at - now > window then return {1, next_at - now - window} end
  redis.call('SET', KEYS[1], string.format('%.0f', next_at), 'PX', math.ceil((next_at - now) / 1000) + 1000)
end
return {0, 0}
"""

# KEYS: tokens. ARGV: µs per token. Moves the token budget's arrival time on.
_CHARGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next_at = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', next_at), 'PX', math.ceil((next_at - now) / 1000) + 1000)
return 0
"""


class RedisQuota:
    """Budgets shared by every replica through Redis.

    Args:
        client: the fleet limiter's Redis client.
        prefix: the fleet's Redis prefix.
        policy: while Redis is unreachable, ``fail_open`` keeps ``fallback``'s budgets, ``fail_closed`` 503s.
        fallback: this process's budgets (at its share of them).
        retry_seconds: how long to go without Redis after it failed before trying it again.
        clock: monotonic seconds.
    """

    @staticmethod
    def client(url: str) -> aioredis.Redis:
        """A client like the fleet limiter's: short timeouts, no retries (a limit must not hang)."""
        return aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str,
        policy: Policy = "fail_open",
        fallback: LocalQuota | None = None,
        retry_seconds: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._admit = client.register_script(_ADMIT)
        self._charge = client.register_script(_CHARGE)
        self._prefix = prefix
        self._local = fallback or LocalQuota(clock=clock)
        self.outage = RedisOutage(
            policy=policy, limit="per-key limits", event="quota.redis", retry_seconds=retry_seconds, clock=clock
        )

    async def admit(self, principal: Principal) -> None:
        if self.outage.skipping():
            return await self._without_redis(principal)
        rpm, tpm = principal.requests_per_minute, principal.tokens_per_minute
        spacing = round(WINDOW * 1_000_000 / rpm) if rpm else 0  # µs, as Redis' clock
        try:
            verdict, wait = await self._admit(keys=self._keys(principal), args=[spacing, tpm or 0])
        except (RedisError, OSError) as exc:
            self.outage.lost(exc)
            return await self._without_redis(principal)
        self.outage.back()
        if int(verdict) == 1 and rpm is not None:
            raise refusal(principal, what="requests", limit=rpm, wait=int(wait) / 1_000_000)
        if int(verdict) == 2 and tpm is not None:
            raise refusal(principal, what="tokens", limit=tpm, wait=int(wait) / 1_000_000)

    async def charge(self, principal: Principal, tokens: int) -> None:
        """Charged in Redis, or in this process's budgets while Redis is unreachable (whatever the policy:
        the request has run)."""
        tpm = principal.tokens_per_minute
        if tpm is None or tokens <= 0:
            return
        if self.outage.skipping() or not await self._charged_in_redis(principal, cost=tokens * WINDOW / tpm):
            await self._local.charge(principal, tokens)

    async def _charged_in_redis(self, principal: Principal, *, cost: float) -> bool:
        try:
            await self._charge(keys=self._keys(principal)[1:], args=[round(cost * 1_000_000)])
        except (RedisError, OSError) as exc:
            self.outage.lost(exc)
            return False
        self.outage.back()
        return True

    async def _without_redis(self, principal: Principal) -> None:
        self.outage.check(principal.key_id)
        await self._local.admit(principal)

    def _keys(self, principal: Principal) -> list[str]:
        return [f"{self._prefix}rq:{principal.key_id}", f"{self._prefix}tk:{principal.key_id}"]
