"""The two tiers together: this process's memory first (:class:`MemoryTier`: entries in least-recently-used
order, within a byte budget and a lifetime), then the shared tier, whose hits are kept in memory too.
Writes go to both. Built from :class:`~hfgate.config.Settings` by :func:`build_cache`."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from hfgate.config import Settings
from hfgate.embed_cache.coalesce import Coalescing
from hfgate.embed_cache.disk_tier import DiskTier
from hfgate.embed_cache.redis_tier import RedisTier
from hfgate.embed_cache.shared_tier import SharedTier
from hfgate.telemetry.metrics import EMBED_CACHE_EVICTIONS

log = logging.getLogger("hfgate.embed_cache")

DISK_FILE = "embed-cache-db"
"""The disk tier's directory in the data directory."""
EARLIER_FILES = ("embed-cache", "embed-cache.db", "embed-cache.mdb", "embed-cache.mdb-lock")
"""What earlier versions' disk tiers left in the data directory (a log, SQLite, LMDB): discarded."""
WRITE_DELAY = 0.25
"""Seconds the disk tier's writes may be kept to go together with others (``coalesce``): a write of one
vector costs a whole transaction, and one-text requests that each wrote alone were slower than with the
cache off (``bench/embed_cache_bench.py miss``, ``docs/benchmarks/embedding-cache.md``). The machine's
other processes see a vector that much later."""


class EmbedCache:
    """Packed vectors by key, in memory and in a shared tier.

    Args:
        memory: this process's tier.
        shared: Redis or the disk file; ``None`` for memory only.
    """

    def __init__(self, *, memory: MemoryTier, shared: SharedTier | None = None) -> None:
        self.memory = memory
        self.shared = shared
        # a tier that reads on the caller's thread (the disk file's small lookups) is asked without a
        # coroutine; ``None`` when it has to be awaited (Redis, a large lookup)
        self._get_now: Callable[[Sequence[str]], list[bytes | None] | None] | None = getattr(shared, "get_now", None)

    async def get_many(self, keys: Sequence[str], *, keep: bool = True) -> list[bytes | None]:
        """Each key's packed vector, or ``None``; the shared tier is asked only for what memory lacks.
        Its hits are kept in memory too, unless ``keep`` is false (a corpus job's pass over every row,
        whose entries would only push others out)."""
        found = self.memory.get_many(keys)
        if self.shared is None:
            return found
        wanted = [i for i, value in enumerate(found) if value is None]
        if not wanted:
            return found
        asked = [keys[i] for i in wanted]
        fetched = self._get_now(asked) if self._get_now is not None else None
        if fetched is None:
            fetched = await self.shared.get_many(asked)
        for i, value in zip(wanted, fetched, strict=True):
            found[i] = value
        if not keep:
            return found
        # owner "": entries that came from the shared tier are evicted without an endpoint to blame
        hits = [(keys[i], v) for i, v in zip(wanted, fetched, strict=True) if v is not None]
        if hits:
            self.memory.put_many(hits, owner="")
        return found

    async def put_many(self, items: Sequence[tuple[str, bytes]], *, owner: str) -> None:
        """Store each ``(key, packed vector)`` in both tiers; ``owner`` is the endpoint, for the metrics."""
        self.memory.put_many(items, owner=owner)
        if self.shared is not None:
            await self.shared.put_many(items)

    async def drop_prefix(self, prefix: str) -> int:
        """Remove every entry of one vector space (a key prefix) from both tiers; how many the shared held."""
        self.memory.drop_prefix(prefix)
        return await self.shared.drop_prefix(prefix) if self.shared is not None else 0

    async def aclose(self) -> None:
        if self.shared is not None:
            await self.shared.aclose()


def build_cache(settings: Settings) -> EmbedCache | None:
    """The cache ``settings`` ask for, or ``None`` when ``HFGATE_EMBED_CACHE`` is off."""
    if not settings.embed_cache:
        return None
    memory = MemoryTier(
        max_bytes=settings.embed_cache_mb * 1024 * 1024,
        ttl_seconds=settings.embed_cache_ttl_seconds,
        evicted=lambda owner: EMBED_CACHE_EVICTIONS(owner).inc(),
    )
    shared = shared_tier(settings)
    if shared is None:
        return EmbedCache(memory=memory)
    if isinstance(shared, DiskTier):
        # its writes kept up to WRITE_DELAY to go many to a transaction (this process's memory tier has
        # them at once); a request's lookup read at once on the loop's thread, not joined with others
        return EmbedCache(memory=memory, shared=Coalescing(shared, write_delay=WRITE_DELAY, join_lookups=False))
    # Redis: each write waited for (another replica may ask for the vector at once), lookups joined
    return EmbedCache(memory=memory, shared=Coalescing(shared))


def shared_tier(settings: Settings) -> SharedTier | None:
    """Redis when a url is set (and ``embed_cache_shared`` is ``auto`` or ``redis``), else the disk file."""
    choice = settings.embed_cache_shared
    url = settings.embed_cache_redis_url or settings.redis_url
    if choice == "off":
        return None
    if url is not None and choice in ("redis", "auto"):  # Settings refuse "redis" without a url
        return RedisTier.from_url(
            url,
            prefix=f"{settings.redis_prefix}vec:",
            ttl_seconds=settings.embed_cache_shared_ttl_seconds,
            timeout=settings.embed_cache_timeout_seconds,
            retry_seconds=1.0,
        )
    return open_disk_tier(settings)


def open_disk_tier(settings: Settings) -> DiskTier | None:
    """The data directory's disk tier; a tier that cannot be opened is moved aside (``.broken``) and a new
    one made: a cache never keeps the service from starting. ``None`` (memory only) when even a new one
    cannot be opened. Earlier versions' disk tiers are discarded (a cache is disposable)."""
    discard_earlier(settings.data_dir)
    path = settings.data_dir / DISK_FILE
    for attempt in (1, 2):
        try:
            disk = DiskTier(
                path,
                max_bytes=settings.embed_cache_disk_mb * 1024 * 1024,
                ttl_seconds=settings.embed_cache_shared_ttl_seconds,
            )
            break
        except (OSError, sqlite3.Error) as exc:
            log.warning(
                "the embedding cache's disk tier cannot be opened",
                extra={"event": "embed_cache.disk.unusable", "file": str(path), "error": repr(exc), "attempt": attempt},
            )
            if attempt == 2:
                return None
            with contextlib.suppress(OSError):
                path.replace(path.with_name(path.name + ".broken"))
    return disk


def discard_earlier(data_dir: Path) -> None:
    """Remove the disk tiers earlier versions left in ``data_dir`` (logged once, when there were some)."""
    found = [data_dir / name for name in EARLIER_FILES if (data_dir / name).exists()]
    found += sorted(data_dir.glob("embed-cache.mdb-*"))
    for path in found:
        with contextlib.suppress(OSError):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    if found:
        log.info(
            "an earlier version's embedding cache on disk was discarded",
            extra={"event": "embed_cache.disk.discarded", "files": [p.name for p in found]},
        )


# What an entry costs beyond its vector: the key string, the tuple and the dict slot (measured ~200 B).
ENTRY_OVERHEAD = 200

Evicted = Callable[[str], None]


class MemoryTier:
    """Packed vectors by key; the least recently used go first when ``max_bytes`` is reached.

    Args:
        max_bytes: the budget (``HFGATE_EMBED_CACHE_MB``); 0 keeps nothing.
        ttl_seconds: how long an entry may be served after it was stored.
        evicted: told the owner (an endpoint id) of each entry pushed out for room.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        *,
        max_bytes: int,
        ttl_seconds: float,
        evicted: Evicted | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.bytes = 0
        self._entries: OrderedDict[str, tuple[bytes, float, str]] = OrderedDict()
        self._evicted = evicted or (lambda owner: None)
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Each key's vector, or ``None``; a found entry becomes the most recently used."""
        now = self._clock()
        return [self._get(key, now) for key in keys]

    def put_many(self, items: Sequence[tuple[str, bytes]], *, owner: str) -> None:
        """Store each ``(key, vector)``; ``owner`` is named when it is evicted."""
        expires = self._clock() + self.ttl_seconds
        entries, added = self._entries, 0
        for key, value in items:
            size = len(value) + ENTRY_OVERHEAD
            if size > self.max_bytes:
                continue
            old = entries.pop(key, None)
            if old is not None:
                added -= len(old[0]) + ENTRY_OVERHEAD
            entries[key] = (value, expires, owner)
            added += size
        self.bytes += added
        self._evict()

    def drop_prefix(self, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix``; how many there were."""
        doomed = [key for key in self._entries if key.startswith(prefix)]
        for key in doomed:
            self._remove(key)
        return len(doomed)

    def _get(self, key: str, now: float) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= now:
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def _evict(self) -> None:
        while self.bytes > self.max_bytes:
            _, (old, _, evicted_owner) = self._entries.popitem(last=False)
            self.bytes -= len(old) + ENTRY_OVERHEAD
            self._evicted(evicted_owner)

    def _remove(self, key: str) -> None:
        value, _, _ = self._entries.pop(key)
        self.bytes -= len(value) + ENTRY_OVERHEAD
