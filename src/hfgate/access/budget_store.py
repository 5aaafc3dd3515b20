"""Where budgets are counted: micro-dollars spent (and reserved) per budget and period.

A request reserves its upper bound on every budget it falls under, in one step that refuses unless
*each* budget still has room (``used + amount <= limit``); when it ends it settles the difference
between what it cost and what it reserved. :class:`RedisBudgets` does both in one Lua script each, so
that replicas admitting at once cannot both take the last of a budget: the same machinery as the
per-key limits (:mod:`hfgate.ratelimit.redis_quota`): their Redis client and prefix, their failure policy
(:mod:`hfgate.ratelimit.outage`), and a fallback in this process at its share of every budget
(``1 / HFGATE_REPLICAS``) while Redis is away under ``fail_open``.

Each counter is one Redis key per budget and period (``…bg:key:<id>:day:2026-11-26``), expiring a day
after its period ends.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from hfgate.ratelimit.outage import Policy, RedisOutage
from hfgate.ratelimit.timeline import Clock

GRACE_MS = 86_400_000  # a counter outlives its period by a day, for the settlements of late requests


@dataclass(frozen=True, slots=True)
class Counter:
    """One budget's counter for one period: its name, its limit and when it may be forgotten."""

    name: str
    limit: int
    expires_ms: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a reservation: ``refused`` is the index of the first counter without room (its
    ``used`` is what it held), else ``None`` with each counter's ``used`` after it."""

    used: tuple[int, ...]
    refused: int | None = None


class BudgetStore(Protocol):
    async def reserve(self, counters: Sequence[Counter], amount: int) -> Verdict:
        """Add ``amount`` to every counter, or to none when one of them has no room for it."""
        ...

    async def settle(self, changes: Sequence[tuple[Counter, int]]) -> None:
        """Add each change (negative: give back) to its counter."""
        ...


class LocalBudgets:
    """Counters in this process, at ``share`` of every limit."""

    def __init__(self, *, share: float = 1.0, clock: Clock = time.time) -> None:
        self.share = share
        self._used: dict[str, tuple[int, int]] = {}  # name → (micro-dollars, expires ms)
        self._clock = clock

    async def reserve(self, counters: Sequence[Counter], amount: int) -> Verdict:
        self._forget()
        used = [self._used.get(c.name, (0, 0))[0] for c in counters]
        for index, (counter, held) in enumerate(zip(counters, used, strict=True)):
            if held + amount > int(counter.limit * self.share):
                return Verdict(tuple(used), refused=index)
        for counter, held in zip(counters, used, strict=True):
            self._used[counter.name] = (held + amount, counter.expires_ms)
        return Verdict(tuple(held + amount for held in used))

    async def settle(self, changes: Sequence[tuple[Counter, int]]) -> None:
        for counter, change in changes:
            held = self._used.get(counter.name, (0, counter.expires_ms))[0]
            self._used[counter.name] = (held + change, counter.expires_ms)

    def _forget(self) -> None:
        if len(self._used) > 10_000:
            now = int(self._clock() * 1000)
            self._used = {name: slot for name, slot in self._used.items() if slot[1] > now}


# KEYS: the counters. ARGV[1]: micro-dollars to reserve; ARGV[1 + i]: limit of KEYS[i]; ARGV[1 + n + i]:
# when KEYS[i] expires (ms). Returns {0, used…} reserved, or {i, used…} when KEYS[i] has no room.
_RESERVE = """
local amount = tonumber(ARGV[1])
local n = #KEYS
local used = {}
for i = 1, n do
  used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
end
for i = 1, n do
  if used[i] + amount > tonumber(ARGV[1 + i]) then
    local out = {i}
    for j = 1, n do out[#out + 1] = used[j] end
    return out
  end
end
local out = {0}
for i = 1, n do
  out[#out + 1] = redis.call('INCRBY', KEYS[i], amount)
  redis.call('PEXPIREAT', KEYS[i], ARGV[1 + n + i])
end
return out
"""

# KEYS: the counters. ARGV[i]: the change of KEYS[i]; ARGV[n + i]: when KEYS[i] expires (ms).
_SETTLE = """
local n = #KEYS
for i = 1, n do
  redis.call('INCRBY', KEYS[i], ARGV[i])
  redis.call('PEXPIREAT', KEYS[i], ARGV[n + i])
end
return 0
"""


class RedisBudgets:
    """Counters shared by every replica through Redis (see the module docstring).

    Args:
        client: the per-key limits' Redis client.
        prefix: the fleet's Redis prefix for keys (``HFGATE_REDIS_PREFIX`` + ``key:``).
        policy: while Redis is unreachable, ``fail_open`` keeps ``fallback``'s counters, ``fail_closed`` 503s.
        fallback: this process's counters, at its share of every budget.
        retry_seconds: how long to go without Redis after it failed before trying it again.
    """

    def __init__(
        self, client: aioredis.Redis, *, prefix: str, policy: Policy = "fail_open",
        fallback: LocalBudgets | None = None, retry_seconds: float = 1.0,
    ) -> None:  # fmt: skip
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)
        self._prefix = prefix
        self._local = fallback or LocalBudgets()
        self.outage = RedisOutage(policy=policy, limit="budgets", event="budget.redis", retry_seconds=retry_seconds)

    async def reserve(self, counters: Sequence[Counter], amount: int) -> Verdict:
        names = [self._prefix + c.name for c in counters]
        args = [amount, *(c.limit for c in counters), *(c.expires_ms for c in counters)]
        flat = await self.outage.attempt(lambda: self._reserve(keys=names, args=args))
        if flat is None:
            self.outage.check("budget")
            return await self._local.reserve(counters, amount)
        refused = int(flat[0])
        return Verdict(tuple(int(v) for v in flat[1:]), refused=refused - 1 if refused else None)

    async def settle(self, changes: Sequence[tuple[Counter, int]]) -> None:
        """Settled in Redis, or in this process while Redis is unreachable (the request has run)."""
        names = [self._prefix + c.name for c, _ in changes]
        args = [*(change for _, change in changes), *(c.expires_ms for c, _ in changes)]
        if await self.outage.attempt(lambda: self._settle(keys=names, args=args)) is None:
            await self._local.settle(changes)
