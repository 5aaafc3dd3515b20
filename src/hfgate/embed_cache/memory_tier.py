"""This process's tier: entries in least-recently-used order, within a byte budget and a lifetime."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

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
