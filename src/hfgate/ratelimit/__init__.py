"""Every rate limit of hfgate: upstream pacing and the gateway keys' quotas, in one process or in Redis.

- :mod:`~hfgate.ratelimit.timeline` — the arithmetic: a key's next free slot, moved one interval on by
  each admission, in integer nanoseconds of an injected clock (so no rounding refuses a request).
- :mod:`~hfgate.ratelimit.limiter` — the pacing contract (``Limiter``, keyed by any string) and its
  event hooks (``LimitEvents``); a refusal is :class:`~hfgate.errors.RateLimitRefusedError`.
- :mod:`~hfgate.ratelimit.pacing` — upstream pacing in one process: a token bucket per (target, api key)
  group with a bounded queue.
- :mod:`~hfgate.ratelimit.redis_pacing` — the same for the whole fleet: one Lua script per admission,
  on Redis' clock.
- :mod:`~hfgate.ratelimit.quota` — requests and tokens per minute per gateway key, in one process.
- :mod:`~hfgate.ratelimit.redis_quota` — the same shared in Redis: one Lua script that admits or charges.
- :mod:`~hfgate.ratelimit.outage` — the Redis client of a shared limit and the one policy of every
  shared limit when Redis cannot be reached (``HFGATE_REDIS_FAILURE_POLICY``).
"""
