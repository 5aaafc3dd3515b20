"""The gateway keys' requests and tokens per minute, shared by every replica through Redis.

The same budgets as :class:`~hfgate.ratelimit.quota.LocalQuota`, kept in Redis on Redis' own clock by
one Lua script that admits a request or charges its tokens. When Redis cannot be reached, the one
policy of every shared limit decides (:mod:`~hfgate.ratelimit.outage`): ``fail_open`` falls back on the
process's share of the budgets, ``fail_closed`` 503s.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from hfgate.ratelimit.outage import Policy, RedisOutage
from hfgate.ratelimit.quota import WINDOW, Keyed, LocalQuota, refusal
from hfgate.ratelimit.timeline import Clock

# KEYS: requests, tokens. ARGV: request interval µs (0: no limit), tokens limit (0: none), and the µs
# to move the token budget on (0: admit; more: charge, admitting nothing). Redis' clock for all.
# Returns {0, 0} admitted or charged, {1, wait µs} requests used up, {2, wait µs} tokens overdrawn.
_QUOTA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = 60000000
local function after(key, by) return math.max(tonumber(redis.call('GET', key) or '0'), now) + by end
local function keep(key, at)
  redis.call('SET', key, string.format('%.0f', at), 'PX', math.ceil((at - now) / 1000) + 1000)
end
local charge = tonumber(ARGV[3])
if charge > 0 then
  keep(KEYS[2], after(KEYS[2], charge))
  return {0, 0}
end
if tonumber(ARGV[2]) > 0 then
  local tokens = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tokens - now >= window then return {2, tokens - now - window} end
end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local next_at = after(KEYS[1], interval)
  if next_at - now > window then return {1, next_at - now - window} end
  keep(KEYS[1], next_at)
end
return {0, 0}
"""


class RedisQuota:
    """Budgets shared by every replica through Redis.

    Args:
        client: the fleet limiter's Redis client (or one of :func:`~hfgate.ratelimit.outage.connect`).
        prefix: the fleet's Redis prefix.
        policy: while Redis is unreachable, ``fail_open`` keeps ``fallback``'s budgets, ``fail_closed`` 503s.
        fallback: this process's budgets (at its share of them).
        retry_seconds: how long to go without Redis after it failed before trying it again.
        clock: monotonic seconds.
    """

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
        self._script = client.register_script(_QUOTA)
        self._prefix = prefix
        self._local = fallback or LocalQuota(clock=clock)
        self.outage = RedisOutage(
            policy=policy, limit="per-key limits", event="quota.redis", retry_seconds=retry_seconds, clock=clock
        )

    async def admit(self, principal: Keyed) -> None:
        rpm, tpm = principal.requests_per_minute, principal.tokens_per_minute
        spacing = round(WINDOW * 1_000_000 / rpm) if rpm else 0  # µs, as Redis' clock
        keys = self._keys(principal)
        answer = await self.outage.attempt(lambda: self._script(keys=keys, args=[spacing, tpm or 0, 0]))
        if answer is None:
            self.outage.check(principal.key_id)
            return await self._local.admit(principal)
        verdict, wait = answer
        if int(verdict) == 1 and rpm is not None:
            raise refusal(principal, what="requests", limit=rpm, wait=int(wait) / 1_000_000)
        if int(verdict) == 2 and tpm is not None:
            raise refusal(principal, what="tokens", limit=tpm, wait=int(wait) / 1_000_000)

    async def charge(self, principal: Keyed, tokens: int) -> None:
        """Charged in Redis, or in this process's budgets while Redis is unreachable (whatever the policy:
        the request has run)."""
        tpm = principal.tokens_per_minute
        if tpm is None or tokens <= 0:
            return
        cost = round(tokens * WINDOW / tpm * 1_000_000)
        keys = self._keys(principal)
        if await self.outage.attempt(lambda: self._script(keys=keys, args=[0, 0, cost])) is None:
            await self._local.charge(principal, tokens)

    def _keys(self, principal: Keyed) -> list[str]:
        return [f"{self._prefix}rq:{principal.key_id}", f"{self._prefix}tk:{principal.key_id}"]
