"""One machine's shared tier, when there is no Redis: a SQLite file in the data directory.

Every process of the machine (``--workers N``, a later ``embed-corpus`` run) opens the same file, in
WAL mode. Entries live ``ttl_seconds``; past ``max_bytes`` the oldest written go first. A failing
file (disk full, locked too long) is skipped like a lost Redis, never failing a request.

A lookup of a request's few keys (at most 32) runs on the caller's own thread (the event loop's): an
indexed read of pages the OS has cached takes ~5 us of CPU, the hop to a worker thread and back ~60 us.
A large lookup (a corpus part's) runs in a worker thread, on a connection of its own, so it never waits
for a write (WAL readers do not block on the writer). Writes run in a worker thread, one at a time
(``coalesce``: those that come meanwhile go together in the next transaction); written on the event
loop's thread instead, each request's write went alone and the CPU per miss rose (0.08-0.125 ms
against 0.09 in a thread, ``bench/embed_cache_bench.py miss --only gateway``).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from hfgate.embed_cache.bypass import Bypass

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL)"
# SQLite's limit on bound parameters is 32766 (3.32+); stay well below it.
_CHUNK = 900
# Lookups of at most this many keys run on the calling (event loop) thread.
_INLINE = 32
_PAGES = ("page_count", "freelist_count", "page_size")


class DiskTier:
    """Packed vectors in a SQLite file.

    Args:
        path: the file, e.g. ``data_dir / "embed-cache.db"``.
        max_bytes: the size the vectors may take before the oldest are removed.
        ttl_seconds: each entry's lifetime.
        retry_seconds: how long the file is skipped after a failure.
    """

    name = "disk"

    def __init__(self, path: Path, *, max_bytes: int, ttl_seconds: float, retry_seconds: float = 5.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.health = Bypass(self.name, retry_seconds=retry_seconds)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=1.0)
        # 16 KiB pages hold a float64 vector of 384 values (3 KB) in its leaf page: no overflow page to
        # read or write (about 10% faster reads, 15-25% faster writes). Only a new file takes it.
        self._db.execute("PRAGMA page_size=16384")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        # the inline reader waits 50 ms at most for a lock (never, in WAL mode, but for a recovery): the
        # event loop's thread is never held longer, and a file that stays locked is skipped like a lost Redis
        self._readers = {"inline": _Reader(path, timeout=0.05), "thread": _Reader(path, timeout=1.0)}
        # what the vectors take: summed (a scan of the whole file) only once the pages in use exceed
        # max_bytes, then kept up to date; the pages in use are read (three PRAGMAs, a fifth of a
        # one-row write's CPU) after every 1% of max_bytes written, not after every write
        self._bytes: int | None = None
        self._unchecked = max_bytes

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Each key's vector, or ``None`` (also for all of them when the file fails)."""
        if not keys or self.health.skipping():
            return [None] * len(keys)
        try:
            if len(keys) <= _INLINE:
                found = self._readers["inline"].select(keys)
            else:
                found = await asyncio.to_thread(self._readers["thread"].select, keys)
        except (sqlite3.Error, OSError) as exc:
            self.health.failed(exc)
            return [None] * len(keys)
        self.health.worked()
        return [found.get(key) for key in keys]

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store each ``(key, vector)``; past ``max_bytes``, remove the oldest written."""
        if not items or self.health.skipping():
            return
        try:
            await asyncio.to_thread(self._insert, items)
        except (sqlite3.Error, OSError) as exc:
            self.health.failed(exc)
            return
        self.health.worked()

    async def drop_prefix(self, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix``; how many were removed."""
        return await asyncio.to_thread(self._delete_prefix, prefix)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()
        for reader in self._readers.values():
            reader.close()

    def _insert(self, items: Sequence[tuple[str, bytes]]) -> None:
        expires = time.time() + self.ttl_seconds
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, value, expires) VALUES (?, ?, ?)",
                    [(key, value, expires) for key, value in items],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            written = sum(len(value) for _, value in items)
            if self._bytes is not None:
                self._bytes += written
            else:
                self._unchecked += written
                if self._unchecked > self.max_bytes // 100:
                    self._unchecked = 0
                    if self._in_use() > self.max_bytes:
                        self._bytes = self._size()
            if self._bytes is not None and self._bytes > self.max_bytes:
                self._trim()

    def _trim(self) -> None:
        """Remove expired entries, then the oldest written, to 90% of ``max_bytes`` (under the lock)."""
        self._db.execute("DELETE FROM vectors WHERE expires <= ?", (time.time(),))
        self._bytes = self._size()
        excess = self._bytes - int(self.max_bytes * 0.9)
        if excess > 0:
            self._db.execute(
                "DELETE FROM vectors WHERE key IN (SELECT key FROM (SELECT key, SUM(length(value)) OVER "
                "(ORDER BY expires, key) - length(value) AS before FROM vectors) WHERE before < ?)",
                (excess,),
            )
            self._bytes = self._size()

    def _delete_prefix(self, prefix: str) -> int:
        with self._lock:
            # keys are hex digits and ':', so a GLOB pattern needs no escaping
            removed = self._db.execute("DELETE FROM vectors WHERE key GLOB ?", (prefix + "*",)).rowcount
            self._bytes = self._size()
        return int(removed)

    def _in_use(self) -> int:
        """The bytes of the file's pages in use, from its header: never less than what the vectors take."""
        pages, free, size = (int(self._db.execute(f"PRAGMA {name}").fetchone()[0]) for name in _PAGES)
        return (pages - free) * size

    def _size(self) -> int:
        return int(self._db.execute("SELECT COALESCE(SUM(length(value)), 0) FROM vectors").fetchone()[0])


class _Reader:
    """A connection of its own for lookups: in WAL mode it reads the last committed state while a write
    goes on in the writer's connection."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)

    def select(self, keys: Sequence[str]) -> dict[str, bytes]:
        now, found = time.time(), dict[str, bytes]()
        with self._lock:
            for start in range(0, len(keys), _CHUNK):
                part = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, value FROM vectors WHERE key IN ({marks}) AND expires > ?", (*part, now)
                )
                found.update(rows)
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()
