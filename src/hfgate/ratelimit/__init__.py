"""The one rate-limit core every limiter of hfgate is built on (upstream groups, the fleet, gateway keys).

- :mod:`~hfgate.ratelimit.timeline` — the arithmetic: a key's next free slot, moved one interval on by
  each admission, in integer nanoseconds of an injected clock (so no rounding refuses a request).
- :mod:`~hfgate.ratelimit.outage` — the one policy of every limit shared through Redis when Redis
  cannot be reached (``HFGATE_REDIS_FAILURE_POLICY``).

Its users: :mod:`hfgate.upstream.http.ratelimit` (one process), :mod:`hfgate.fleet.redis_limit` (the
fleet, whose Lua script does the same arithmetic in microseconds of Redis' clock) and
:mod:`hfgate.access.quota` (requests and tokens per minute per gateway key).
"""
