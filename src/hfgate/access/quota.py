"""Requests and tokens per minute per gateway key: refused with 429 and ``Retry-After`` when used up.

Both limits are budgets that refill continuously (GCRA, as a token bucket without a timer): a key with
``requests_per_minute=60`` may send 60 requests at once, then one a second. Tokens are only known once
a request has run, so they are charged afterwards; a key is refused while its token budget is overdrawn.

:class:`LocalQuota` keeps the budgets in this process. :class:`RedisQuota` keeps them in Redis, shared
by every replica, on the Redis client of the fleet's rate limiter (:mod:`hfgate.fleet.redis_limit`) and
under its failure policy: ``fail_open`` falls back on the process's own budgets, ``fail_closed`` 503s.
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
from hfgate.errors import CoordinationUnavailableError, KeyLimitError

log = logging.getLogger("hfgate.keys")
WINDOW = 60.0


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
    """Budgets in this process (one replica, or Redis unreachable under ``fail_open``)."""

    def __init__(self) -> None:
        self._requests: dict[str, float] = {}  # key id → theoretical arrival time of the next request
        self._tokens: dict[str, float] = {}

    async def admit(self, principal: Principal) -> None:
        now = time.monotonic()
        key = principal.key_id
        tpm = principal.tokens_per_minute
        if tpm is not None and self._tokens.get(key, now) - now >= WINDOW:
            raise refusal(principal, what="tokens", limit=tpm, wait=self._tokens[key] - now - WINDOW)
        rpm = principal.requests_per_minute
        if rpm is not None:
            # how far ahead of now the next request's time would be, counted from now: ``(now + x) - now``
            # may round above ``x``, and a key's first request of a 1-per-minute budget was refused so
            ahead = max(self._requests.get(key, now) - now, 0.0) + WINDOW / rpm
            if ahead > WINDOW:
                raise refusal(principal, what="requests", limit=rpm, wait=ahead - WINDOW)
            self._requests[key] = now + ahead

    async def charge(self, principal: Principal, tokens: int) -> None:
        if principal.tokens_per_minute is None or tokens <= 0:
            return
        now = time.monotonic()
        base = max(self._tokens.get(principal.key_id, now), now)
        self._tokens[principal.key_id] = base + tokens * WINDOW / principal.tokens_per_minute


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
        fail_closed: refuse (503) rather than use the local budgets while Redis is unreachable.
    """

    @staticmethod
    def client(url: str) -> aioredis.Redis:
        """A client like the fleet limiter's: short timeouts, no retries (a limit must not hang)."""
        return aioredis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))

    def __init__(self, client: aioredis.Redis, *, prefix: str, fail_closed: bool = False) -> None:
        self._admit = client.register_script(_ADMIT)
        self._charge = client.register_script(_CHARGE)
        self._prefix = prefix
        self._fail_closed = fail_closed
        self._local = LocalQuota()

    async def admit(self, principal: Principal) -> None:
        rpm, tpm = principal.requests_per_minute, principal.tokens_per_minute
        interval = round(WINDOW * 1_000_000 / rpm) if rpm else 0
        try:
            verdict, wait = await self._admit(keys=self._keys(principal), args=[interval, tpm or 0])
        except (RedisError, OSError) as exc:
            self._unreachable(exc)
            await self._local.admit(principal)
            return
        if int(verdict) == 1 and rpm is not None:
            raise refusal(principal, what="requests", limit=rpm, wait=int(wait) / 1_000_000)
        if int(verdict) == 2 and tpm is not None:
            raise refusal(principal, what="tokens", limit=tpm, wait=int(wait) / 1_000_000)

    async def charge(self, principal: Principal, tokens: int) -> None:
        tpm = principal.tokens_per_minute
        if tpm is None or tokens <= 0:
            return
        try:
            await self._charge(keys=self._keys(principal)[1:], args=[round(tokens * WINDOW * 1_000_000 / tpm)])
        except (RedisError, OSError) as exc:
            log.warning("key tokens not charged in redis", extra={"event": "quota.redis.down", "error": str(exc)})
            await self._local.charge(principal, tokens)

    def _keys(self, principal: Principal) -> list[str]:
        return [f"{self._prefix}rq:{principal.key_id}", f"{self._prefix}tk:{principal.key_id}"]

    def _unreachable(self, exc: Exception) -> None:
        log.warning("key limits: redis unreachable", extra={"event": "quota.redis.down", "error": str(exc)})
        if self._fail_closed:
            raise CoordinationUnavailableError(
                "The shared per-key limits (Redis, HFGATE_REDIS_URL) cannot be reached and "
                "HFGATE_REDIS_FAILURE_POLICY is [fail_closed]: retry shortly, or set it to [fail_open]"
            ) from exc
