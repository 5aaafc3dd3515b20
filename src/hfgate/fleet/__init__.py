"""Running as a fleet: what replicas share through Redis and PostgreSQL.

- :mod:`~hfgate.fleet.limits` — the limiter contract (keyed by any string) and its event hooks.
- :mod:`~hfgate.fleet.redis_limit` — one limit for the whole fleet: an atomic Redis script per admission,
  with the one ``fail_open``/``fail_closed`` policy of :mod:`hfgate.ratelimit.outage` when Redis cannot
  be reached.
- :mod:`~hfgate.fleet.changes` — a small pub/sub of "what changed" (topic + key) between replicas, over
  PostgreSQL ``LISTEN/NOTIFY``; caches subscribe to forget what another replica changed.
"""
