"""Gateway keys: who is calling, what their role lets them do, how much they may use, what they used.

- :mod:`~hfgate.access.roles` — the four roles and what each implies.
- :mod:`~hfgate.access.principal` — the caller of the current request (a context variable) and its checks.
- :mod:`~hfgate.access.tokens` — the key's wire format (``id:secret``, base64) and its salted scrypt hash.
- :mod:`~hfgate.access.principal` — resolves a bearer token to a principal, cached, revocation honoured.
- requests and tokens per minute per key: :mod:`hfgate.ratelimit.quota` (per process) and
  :mod:`hfgate.ratelimit.redis_quota` (shared in Redis).
- :mod:`~hfgate.access.spend` — usage per key × endpoint × hour, buffered and written in batches.
"""
