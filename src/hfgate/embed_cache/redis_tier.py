"""The fleet's shared tier: vectors in Redis, under ``<prefix>vec:<key>``, each with a lifetime.

Redis' own ``maxmemory`` (and its eviction policy) bounds its size; give the cache a logical database
or server of its own (``HFGATE_EMBED_CACHE_REDIS_URL``) so that eviction never touches the rate
limiter's keys. Every call is bounded by a short timeout: a slow or lost Redis costs a request that
timeout once, then is skipped (:class:`~hfgate.embed_cache.bypass.Bypass`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hfgate.embed_cache.bypass import Bypass


class RedisTier:
    """Packed vectors in Redis.

    Args:
        client: an asyncio Redis client.
        prefix: prepended to every key (``HFGATE_REDIS_PREFIX`` + ``vec:``).
        ttl_seconds: each entry's lifetime.
        timeout: the longest a call may take before the tier is skipped.
        retry_seconds: how long it is skipped after a failure.
    """

    name = "redis"

    def __init__(
        self, client: aioredis.Redis, *, prefix: str, ttl_seconds: float, timeout: float, retry_seconds: float
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl_seconds = max(1, int(ttl_seconds))
        self.timeout = timeout
        self.health = Bypass(self.name, retry_seconds=retry_seconds)

    @classmethod
    def from_url(cls, url: str, *, prefix: str, ttl_seconds: float, timeout: float, retry_seconds: float) -> RedisTier:
        """A tier on the Redis server at ``url``, with no client-side retries (a lost Redis costs one try)."""
        client = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        return cls(client, prefix=prefix, ttl_seconds=ttl_seconds, timeout=timeout, retry_seconds=retry_seconds)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Each key's vector, or ``None`` (also for all of them when Redis fails)."""
        if not keys or self.health.skipping():
            return [None] * len(keys)
        try:
            async with asyncio.timeout(self.timeout):
                # decode_responses is off: every value is bytes or None
                found: list[bytes | None] = await self.client.mget([self.prefix + key for key in keys])  # type: ignore[assignment]
        except (RedisError, OSError, TimeoutError) as exc:
            self.health.failed(exc)
            return [None] * len(keys)
        self.health.worked()
        return found

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store each ``(key, vector)`` with the tier's lifetime; nothing when Redis fails."""
        if not items or self.health.skipping():
            return
        try:
            async with asyncio.timeout(self.timeout):
                async with self.client.pipeline(transaction=False) as pipe:
                    for key, value in items:
                        pipe.set(self.prefix + key, value, ex=self.ttl_seconds)
                    await pipe.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            self.health.failed(exc)
            return
        self.health.worked()

    async def drop_prefix(self, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix``; how many were removed."""
        removed = 0
        try:
            async for batch in _batches(self.client.scan_iter(match=f"{self.prefix}{prefix}*", count=1000)):
                removed += int(await self.client.unlink(*batch))
        except (RedisError, OSError) as exc:
            self.health.failed(exc)
        return removed

    async def aclose(self) -> None:
        await self.client.aclose()


async def _batches(keys: AsyncIterator[bytes], size: int = 500) -> AsyncIterator[list[bytes]]:
    batch: list[bytes] = []
    async for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
