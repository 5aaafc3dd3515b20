"""Running as a fleet: what replicas tell each other through PostgreSQL or Redis.

- :mod:`~hfgate.fleet.changes` — a small pub/sub of "what changed" (topic + key) between replicas, over
  PostgreSQL ``LISTEN/NOTIFY``; caches subscribe to forget what another replica changed.
- :mod:`~hfgate.fleet.redis_changes` — the same over Redis pub/sub.

The limits the fleet shares through Redis are in :mod:`hfgate.ratelimit`.
"""
