"""One machine's shared tier, when there is no Redis: a ``diskcache`` directory in the data directory.

Every process of the machine (``--workers N``, a later ``embed-corpus`` run) opens the same directory.
diskcache keeps the entries in SQLite (write-ahead log: a reader never waits for the writer) and gives
what this tier needs without code of ours: entries live ``ttl_seconds``; past ``max_bytes`` the oldest
stored are culled; a model's entries carry its model prefix as their tag, so deleting its last endpoint
removes them by an index; and SQLite recovers its own file after a crash. Deleted entries' bytes are
overwritten with zeros (SQLite's ``secure_delete``) and the write-ahead log is checkpointed and emptied
after a removal, so a deleted endpoint's vectors leave the disk.

A request's lookup (at most ``_INLINE`` keys) reads on the calling (event loop) thread; larger lookups
and every write run in a worker thread, where waiting for another process's write cannot stall the
loop. Reads and writes go to diskcache's table directly, one statement per 500 keys read and one per
batch written (``_SELECT``, ``_UPSERT``: diskcache's per-key calls made a re-run of ``embed-corpus``
slower, ``docs/benchmarks/embedding-cache.md``), on connections of this tier's own to the same database
(one a thread, with the pragmas the cache was opened with), not through diskcache's private ones;
expiry, culling, tags and values kept in files stay diskcache's (its version is pinned in
``pyproject.toml``, as its table is not a public interface).
Nothing is retried: a call that finds the database locked for ``_BUSY_SECONDS`` fails. A failing
directory (locked, disk full, a broken file) is skipped for a while like a lost Redis, never failing a
request (:class:`~hfgate.embed_cache.bypass.Bypass`).

Why diskcache: expiry, size, crash recovery and an index are a storage engine's job, and a cache is
disposable; what a user feels (a re-run after an edit, a miss's cost) is measured in
``docs/benchmarks/embedding-cache.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import diskcache

from hfgate.embed_cache.bypass import Bypass

T = TypeVar("T")

# Lookups of at most this many keys run on the calling (event loop) thread.
_INLINE = 32
_FAILURES = (OSError, sqlite3.Error, diskcache.Timeout)
# How long a write waits for another process's write to end (SQLite's busy timeout), in a worker thread.
_BUSY_SECONDS = 5.0
# A new database's page size: 16 KiB pages hold ten 1.5 KB vectors where 4 KiB pages held two (a smaller
# file, faster lookups and writes: docs/benchmarks/embedding-cache.md).
_PAGE_BYTES = 16384
# The pragmas SQLite sets per connection, as diskcache sets them on its own (each a setting of the cache).
_CONNECTION_PRAGMAS = ("sqlite_cache_size", "sqlite_mmap_size", "sqlite_synchronous", "sqlite_secure_delete")
# The write-ahead log is copied into the database once it holds this many pages (16 MiB; SQLite's default,
# 1,000 pages of 4 KiB, did the copy's work and fsync four times as often, for no faster lookups).
_CHECKPOINT_PAGES = 1024
# A lookup reads its keys this many at a time, in one query each (SQLite allows 32,766 bound values).
_READ_BATCH = 500
# diskcache's Cache table (diskcache/core.py, ``Cache.__init__``'s schema and ``Cache.get``'s query): a str
# key is stored as itself with raw = 1; a bytes value under ``disk_min_file_size`` (32 KiB) is kept in the
# row (mode MODE_RAW), a larger one in a file of its own (read through ``Cache.get``).
_SELECT = (
    "SELECT key, mode, value FROM Cache WHERE raw = 1 AND (expire_time IS NULL OR expire_time > ?) AND key IN ({})"
)
# Items written as ``Cache.set`` writes a str key and a bytes value kept in its row (``Cache._row_insert``
# and ``Disk.store``: raw = 1, size 0, mode MODE_RAW = 1, no file); diskcache's triggers keep its count and
# size. A key already held gets the new value and times; a held key whose value is in a file (larger)
# keeps it, to expire in its time (the same key is the same text and model: the same vector).
_UPSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag, size, mode, filename, value)"
    " VALUES (?, 1, ?, ?, ?, 0, ?, 0, 1, NULL, ?)"
    " ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time, expire_time = excluded.expire_time,"
    " access_time = excluded.access_time, tag = excluded.tag, value = excluded.value WHERE filename IS NULL"
)


class DiskTier:
    """Packed vectors in a diskcache directory shared by this machine's processes.

    Args:
        path: the directory, e.g. ``data_dir / "embed-cache-db"``.
        max_bytes: the size the entries may take before the oldest stored are culled.
        ttl_seconds: each entry's lifetime.
        retry_seconds: how long the tier is skipped after a failure.

    Raises:
        OSError, sqlite3.Error: the directory cannot be opened (``cache.open_disk_tier`` sets it aside).
    """

    name = "disk"

    def __init__(self, path: Path, *, max_bytes: int, ttl_seconds: float, retry_seconds: float = 5.0) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.health = Bypass(self.name, retry_seconds=retry_seconds)
        _new_database(path / diskcache.core.DBNAME)
        self._cache = diskcache.Cache(
            str(path),
            size_limit=max_bytes,
            eviction_policy="least-recently-stored",  # a lookup writes nothing
            tag_index=True,
            timeout=_BUSY_SECONDS,
            sqlite_secure_delete=1,
            sqlite_wal_autocheckpoint=_CHECKPOINT_PAGES,
        )
        self._local = threading.local()
        self._opened: list[tuple[int, sqlite3.Connection]] = []  # with the process that opened each
        self._opened_lock = threading.Lock()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Each key's vector, or ``None`` (also for all of them when the tier fails)."""
        found = self.get_now(keys)
        if found is not None:
            return found
        return await self._guarded(lambda: asyncio.to_thread(self._select, keys), default=[None] * len(keys))

    def get_now(self, keys: Sequence[str]) -> list[bytes | None] | None:
        """:meth:`get_many` on this (the event loop's) thread, for a request's lookup of at most ``_INLINE``
        keys; ``None`` for a larger one (:meth:`get_many` reads it in a worker thread)."""
        if len(keys) > _INLINE:
            return None
        if not keys or self.health.skipping():
            return [None] * len(keys)
        try:
            found = self._select(keys)
        except _FAILURES as exc:
            self.health.failed(exc)
            return [None] * len(keys)
        self.health.worked()
        return found

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store each ``(key, vector)`` for ``ttl_seconds``, in one transaction in a worker thread."""
        if items:
            await self._guarded(lambda: asyncio.to_thread(self._insert, items), default=None)

    async def drop_prefix(self, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix``; how many were removed (0 when the tier
        fails: logged and skipped as a lost Redis is, the entries expiring in their time)."""
        try:
            return await asyncio.to_thread(self._delete_prefix, prefix)
        except _FAILURES as exc:
            self.health.failed(exc)
            return 0

    def stored_bytes(self) -> int:
        """What the directory takes on disk (SQLite's file and any value kept in a file of its own)."""
        return int(self._cache.volume())

    async def aclose(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for pid, db in opened:
            if pid == os.getpid():  # a forked process leaves its parent's alone
                db.close()
        self._cache.close()

    def _db(self) -> sqlite3.Connection:
        """This thread's connection to the cache's database, opened as diskcache opens its own (the busy
        timeout, the per-connection pragmas); a forked process opens new ones."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.pid, local.db = os.getpid(), None
        if local.db is None:
            db = sqlite3.connect(
                self.path / diskcache.core.DBNAME,
                timeout=_BUSY_SECONDS,
                isolation_level="IMMEDIATE",  # a write takes the lock when it starts, as diskcache's transact
                check_same_thread=False,  # closed by aclose, from whichever thread
            )
            for setting in _CONNECTION_PRAGMAS:
                db.execute(f"PRAGMA {setting.removeprefix('sqlite_')} = {int(getattr(self._cache, setting))}")
            with self._opened_lock:
                self._opened.append((os.getpid(), db))
            local.db = db
        return local.db  # type: ignore[no-any-return]

    async def _guarded(self, work: Callable[[], Awaitable[T]], *, default: T) -> T:
        """``work``'s result, or ``default`` while the tier is skipped or when it fails."""
        if self.health.skipping():
            return default
        try:
            result = await work()
        except _FAILURES as exc:
            self.health.failed(exc)
            return default
        self.health.worked()
        return result

    def _select(self, keys: Sequence[str]) -> list[bytes | None]:
        """The keys' vectors, read ``_READ_BATCH`` keys a query on this thread's connection:
        a re-run of ``embed-corpus`` looks up every row, and one ``Cache.get`` a key made it slower.
        ``tests/embed_cache/test_disk_file.py`` reads what diskcache's own ``set`` wrote, files included,
        and compares what ``_insert`` writes with what ``set`` writes.
        """
        found: dict[str, bytes | None] = {}
        now = time.time()
        for start in range(0, len(keys), _READ_BATCH):
            part = keys[start : start + _READ_BATCH]
            rows = self._db().execute(_SELECT.format(",".join("?" * len(part))), (now, *part))
            for key, mode, value in rows.fetchall():
                found[key] = bytes(value) if mode == diskcache.core.MODE_RAW else self._from_file(key)
        return [found.get(key) for key in keys]

    def _from_file(self, key: str) -> bytes | None:
        value = self._cache.get(key, default=None, retry=False)
        return value if isinstance(value, bytes) else None

    def _insert(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store the items: those kept in their row in one ``_UPSERT`` statement (one transaction), a larger
        one through ``Cache.set`` (a file of its own); then what is past ``max_bytes`` or expired is culled
        by diskcache, oldest stored first.

        One ``Cache.set`` an item is five statements (a look for the key, the insert, an expiry sweep, a
        size check, the cull); one statement for the batch writes the same rows.
        """
        now, in_row = time.time(), self._cache.disk_min_file_size
        expire = now + self.ttl_seconds
        rows = [(key, now, expire, now, _tag(key), vector) for key, vector in items if len(vector) < in_row]
        if rows:
            with self._db() as db:  # commits, or rolls back on an error
                db.executemany(_UPSERT, rows)
        for key, vector in items:
            if len(vector) >= in_row:
                self._cache.set(key, vector, expire=self.ttl_seconds, tag=_tag(key), retry=False)
        self._cache.cull(retry=False)

    def _delete_prefix(self, prefix: str) -> int:
        if prefix.endswith(":") and ":" not in prefix[:-1]:  # a model's prefix: its tag, by the index
            removed = int(self._cache.evict(prefix[:-1], retry=False))
        else:
            keys = [key for key in self._cache.iterkeys() if isinstance(key, str) and key.startswith(prefix)]
            removed = sum(bool(self._cache.delete(key, retry=False)) for key in keys)
        self._checkpoint()
        return removed

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database and empty it, so that removed entries' earlier page
        images leave the disk too (secure_delete zeroed them in the database's pages)."""
        with contextlib.closing(sqlite3.connect(self.path / diskcache.core.DBNAME, timeout=_BUSY_SECONDS)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _new_database(file: Path) -> None:
    """Create the database with ``_PAGE_BYTES`` pages before diskcache does (SQLite fixes a database's page
    size with its first page, here the write-ahead-log mode's; diskcache has no setting for it). An
    existing database keeps its own."""
    if file.exists():
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(file, timeout=_BUSY_SECONDS)) as db:
        db.execute(f"PRAGMA page_size = {_PAGE_BYTES}")
        db.execute("PRAGMA auto_vacuum = FULL")  # diskcache's setting, which only a new database takes
        db.execute("PRAGMA journal_mode = wal")


def _tag(key: str) -> str:
    """An entry's tag: its model prefix (the key's part before the first ``:``)."""
    return key.partition(":")[0]
