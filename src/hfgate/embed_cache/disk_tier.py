"""One machine's shared tier, when there is no Redis: an LMDB file in the data directory.

Every process of the machine (``--workers N``, a later ``embed-corpus`` run) opens the same file
(``embed-cache.mdb`` and its ``-lock``); LMDB lets many readers and one writer at a time across
processes, and a reader never waits for the writer. Entries live ``ttl_seconds``; past ``max_bytes``
the oldest written go first. A failing file (disk full, a broken file) is skipped like a lost Redis,
never failing a request.

Why LMDB and not SQLite (the tier's first file): a miss looks one new key up and writes one vector,
and measured so (3 KB vectors, 40 a transaction, a file of 20,000; ``bench/embed_cache_bench.py disk``)
SQLite took 9.1 us a lookup and 21.8 us a vector written, LMDB 2.7 and 6.4 us. It is opened without
``writemap`` (a full disk would then be a SIGBUS in the process, not an error) and without fsync at
commit (LMDB's ``MDB_NOSYNC``): a process that dies loses nothing committed, its writes being in the
kernel's page cache. A machine that goes down before the kernel wrote them may leave the file broken
(LMDB keeps its integrity then only where the file system keeps the order of writes, which ext4 and XFS
do not promise), and LMDB has no checksums to tell: so every write transaction marks the file with the
machine's boot id, the last process to close it syncs it and clears the mark, and a file still marked
by an earlier boot is discarded when opened (a cache: emptied, never served broken).

Everything runs on the caller's thread (the event loop's) when it can: a request's lookup (at most 32
keys, ~3 us a key held, ~1.5 us one not held; a thread hop costs ~60 us; :meth:`DiskTier.get_now`,
called without a coroutine) and a write of up to 256 vectors a transaction, when no other writer holds
the file. Written from a worker
thread instead, the write's GIL hand-offs with the loop cost ~40 us of wall time a vector and slowed the
loop's own lookups 2.6-fold (measured in the miss path). A writer checks at once whether another one (a
process's or a thread's) holds the file, through a lock file of its own (``-writer``: LMDB's own lock
cannot be tried without waiting), and only then waits, in a worker thread. A large lookup (a corpus
part's) and a model's removal run in a worker thread; removals and trims take at most 2,048 entries a
transaction, so no writer holds the file long.

Each process maps the file at a size of its budget's; a process with a larger budget (an
``embed-corpus`` run given another ``HFGATE_EMBED_CACHE_DISK_MB``) may grow the file past another's
map, and LMDB then refuses that one's transactions (``MDB_MAP_RESIZED``) until it adopts the larger map,
which it does at once when none of its operations runs in a worker thread.

Layout: the ``vectors`` table maps a key to its expiry (8 bytes) and vector; ``order`` holds
``expiry + key`` for every write, oldest first (an entry replaced or dropped leaves a stale one, skipped
when reached); ``meta`` the vectors' total size and the file's id. A Bloom filter of the keys beside it
(``-filter``, :mod:`hfgate.embed_cache.disk_filter`) lets a lookup of keys the file does not hold (every
miss) open no transaction and read no page of the file: on a file of 200,000 whose pages were not in
memory, 1.6 us instead of 81 us of the event loop's time (0.92 pages read from the disk a lookup;
``bench/embed_cache_bench.py cold``). A file of the SQLite tier left by an earlier version
(``embed-cache.db``) is imported once, then removed (:mod:`hfgate.embed_cache.disk_import`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

import lmdb

from hfgate.embed_cache.bypass import Bypass
from hfgate.embed_cache.disk_filter import KeyFilter

log = logging.getLogger("hfgate.embed_cache")

# Lookups of at most this many keys run on the calling (event loop) thread.
_INLINE = 32
# Vectors written in one transaction (~1-2 ms on the caller's thread).
_SLICE = 256
# Entries one transaction removes at most (a trim or a drop): no writer holds the file long.
_REMOVE = 2048
# Beyond max_bytes of vectors, the file may hold this much more: LMDB's pages (a 3 KB vector takes a
# 4 KiB overflow page), its free pages and the order table.
_SLACK = 2.0
_MIN_MAP = 64 << 20
# Expired entries removed by a write, at most, beyond one per row it writes.
_SWEEP = 16
# An entry's expiry, microseconds since the epoch, big-endian: LMDB's byte order is the time order. It
# begins each vector's value and each key of the order table.
_STAMP = struct.Struct(">Q")
_TOTAL = b"bytes"
# In ``meta``: the boot id of the machine that wrote the file since it was last synced.
_UNSYNCED = b"unsynced"
# In ``meta``: the file's id, which its key filter names (:mod:`hfgate.embed_cache.disk_filter`).
_FILTER_ID = b"filter-id"
# An environment is opened once per process and file (LMDB forbids two openings in one process).
_OPEN: dict[tuple[int, str], _Store] = {}
_OPEN_LOCK = threading.Lock()
_T = TypeVar("_T")


class DiskTier:
    """Packed vectors in an LMDB file.

    Args:
        path: the file, e.g. ``data_dir / "embed-cache.mdb"`` (its lock file is ``path`` + ``-lock``).
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
        self._store = _Store.open(path, map_size=max(_MIN_MAP, int(max_bytes * _SLACK) + _MIN_MAP))
        self._closed = False

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Each key's vector, or ``None`` (also for all of them when the file fails)."""
        found = self.get_now(keys)
        if found is not None:
            return found
        if self.health.skipping():
            return [None] * len(keys)
        try:
            found = await self._in_thread(self._store.select, keys)
        except (lmdb.Error, OSError) as exc:
            self.health.failed(exc)
            return [None] * len(keys)
        self.health.worked()
        return found

    def get_now(self, keys: Sequence[str]) -> list[bytes | None] | None:
        """:meth:`get_many` on this (the event loop's) thread, for a request's lookup of at most ``_INLINE``
        keys; ``None`` for a larger one (:meth:`get_many` reads it in a worker thread). A request's
        miss asks here (``EmbedCache``), without ``get_many``'s coroutine and the ``Coalescing`` one around
        it: a one-key lookup 1.79 us instead of 2.12, measured alone."""
        if len(keys) > _INLINE:
            return None
        if not keys or self.health.skipping():
            return [None] * len(keys)
        try:
            found = self._here(self._store.select, keys)
        except (lmdb.Error, OSError) as exc:
            self.health.failed(exc)
            return [None] * len(keys)
        self.health.worked()
        return found

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store each ``(key, vector)``; past ``max_bytes``, remove the oldest written.

        Written on the caller's thread, ``_SLICE`` vectors a transaction with a loop turn between them,
        when the file's writer lock is free at once; else (another process or thread writing) in a
        worker thread that waits for it."""
        if not items or self.health.skipping():
            return
        try:
            for start in range(0, len(items), _SLICE):
                part = items[start : start + _SLICE]
                if start:
                    await asyncio.sleep(0)
                if not self._here(self._store.insert, part, ttl=self.ttl_seconds, max_bytes=self.max_bytes, wait=False):
                    await self._in_thread(self._store.insert, part, ttl=self.ttl_seconds, max_bytes=self.max_bytes)
            if self._store.filter_full:
                await self._in_thread(self._store.rebuild_filter)
        except (lmdb.Error, OSError) as exc:
            self.health.failed(exc)
            return
        self.health.worked()

    async def drop_prefix(self, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix``; how many were removed."""
        return await self._in_thread(self._store.delete_prefix, prefix)

    def import_rows(self, rows: Sequence[tuple[str, bytes, bytes]]) -> None:
        """Store each ``(key, vector, expiry stamp)`` (:func:`stamp`) on this thread, waiting for the file."""
        self._here(self._store.insert_rows, rows, now=now_micros(), max_bytes=self.max_bytes)

    def stored_bytes(self) -> int:
        """What the vectors take, as the file counts them."""
        return self._here(self._store.total)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._store.release()

    def _here(self, operation: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``operation`` on this (the event loop's) thread; once more after adopting the file's larger map."""
        try:
            return operation(*args, **kwargs)
        except lmdb.MapResizedError:
            if not self._store.adopt_map():
                raise
            return operation(*args, **kwargs)

    async def _in_thread(self, operation: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``operation`` in a worker thread; once more after adopting the file's larger map."""
        try:
            return await self._thread(operation, *args, **kwargs)
        except lmdb.MapResizedError:
            if not self._store.adopt_map():
                raise
            return await self._thread(operation, *args, **kwargs)

    async def _thread(self, operation: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        self._store.threads += 1
        try:
            return await asyncio.to_thread(operation, *args, **kwargs)
        finally:
            self._store.threads -= 1


class _Store:
    """One process's opening of the file, shared by every :class:`DiskTier` on it."""

    def __init__(self, path: Path, *, map_size: int) -> None:
        self.key = (os.getpid(), str(path.resolve()))
        self.users = 0
        # operations in worker threads now (counted on the event loop's thread, which starts them)
        self.threads = 0
        self.boot = boot_id()
        self.filter: KeyFilter | None = None
        # every writer of the file, in any process, holds this first (flock on a file of its own, and a
        # lock for this process's threads), so that a write on the event loop's thread can tell at once
        # whether it would wait (LMDB's own writer lock cannot be tried)
        self._writing = threading.Lock()
        self._writer_fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # held while opening: no other process opens the file while a crashed boot's one is removed
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
            try:
                self._open(path, map_size=map_size)
                left = self._unsynced()
                if left is not None and left != self.boot:
                    log.warning(
                        "the embedding cache's disk file was left unsynced by a machine that went down; emptied",
                        extra={"event": "embed_cache.disk.crashed", "file": str(path)},
                    )
                    self.env.close()
                    for part in (path, Path(f"{path}-lock")):
                        with contextlib.suppress(FileNotFoundError):
                            part.unlink()
                    self._open(path, map_size=map_size)
                self.filter = self._open_filter(Path(f"{path}-filter"))
            finally:
                fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        except BaseException:
            os.close(self._writer_fd)
            raise

    def _open(self, path: Path, *, map_size: int) -> None:
        self.env = lmdb.open(
            str(path),
            subdir=False,
            map_size=map_size,
            max_dbs=3,
            sync=False,
            metasync=False,
            readahead=False,
            writemap=False,
            max_readers=1024,
        )
        self.vectors = self.env.open_db(b"vectors")
        self.order = self.env.open_db(b"order")
        self.meta = self.env.open_db(b"meta")
        # a reader whose process died holds a slot (and old pages) until cleared
        self.env.reader_check()

    def _unsynced(self) -> bytes | None:
        """The boot id of the writes not yet synced, if any."""
        with self.env.begin(db=self.meta) as txn:
            return txn.get(_UNSYNCED)

    def _mark(self, txn: lmdb.Transaction) -> None:
        """Record in a write transaction that the file holds writes of this boot not yet synced."""
        if txn.get(_UNSYNCED, db=self.meta) != self.boot:
            txn.put(_UNSYNCED, self.boot, db=self.meta)
        self._seen(txn)

    def _seen(self, txn: lmdb.Transaction) -> None:
        """Record in the key filter that it saw the write transaction ``txn`` (every writer does)."""
        if self.filter is not None:
            self.filter.txnid = txn.id()

    def _open_filter(self, where: Path) -> KeyFilter | None:
        """The file's key filter; built anew when missing or when it does not describe the file as it
        is (another file, or a write it did not see). ``None`` (every key looked up) when it cannot be
        made. The writer lock held."""
        try:
            file_id = self._filter_id()
            with contextlib.suppress(OSError, ValueError):
                found = KeyFilter.open(where)
                if found.file_id == file_id and found.txnid == self.env.info()["last_txnid"]:
                    return found
            return self._build_filter(where, file_id)
        except (lmdb.Error, OSError) as exc:
            log.warning(
                "the embedding cache's disk key filter cannot be made; every key is looked up in the file",
                extra={"event": "embed_cache.disk.no_filter", "file": str(where), "error": repr(exc)},
            )
            return None

    def _filter_id(self) -> bytes:
        """The file's id, made when it has none (a new file, or one an earlier version made)."""
        with self.env.begin(db=self.meta) as txn:
            found = txn.get(_FILTER_ID)
        if found is not None:
            return bytes(found)
        made = os.urandom(16)
        with self.env.begin(write=True, db=self.meta) as txn:
            self._mark(txn)
            txn.put(_FILTER_ID, made)
        return made

    def _build_filter(self, where: Path, file_id: bytes) -> KeyFilter:
        """A key filter of every key the file holds now (the writer lock held)."""
        with self.env.begin(db=self.vectors) as txn:
            count = int(txn.stat(self.vectors)["entries"])
            keys = txn.cursor().iternext(keys=True, values=False)
            txnid = self.env.info()["last_txnid"]
            return KeyFilter.build(where, keys, count=count, file_id=file_id, txnid=txnid)

    @property
    def filter_full(self) -> bool:
        """Whether the key filter is due to be rebuilt (:meth:`rebuild_filter`)."""
        return self.filter is not None and self.filter.full

    def rebuild_filter(self) -> None:
        """Build the key filter anew from the file's keys, unless another writer just did (the old one
        holds the bits of every key written since, removed ones too)."""
        with self._writer():
            if self.filter is not None and self.filter.full:
                self.filter = self._build_filter(self.filter.path, self.filter.file_id)

    @classmethod
    def open(cls, path: Path, *, map_size: int) -> _Store:
        key = (os.getpid(), str(path.resolve()))
        with _OPEN_LOCK:
            store = _OPEN.get(key)
            if store is None:
                store = _OPEN[key] = cls(path, map_size=map_size)
            elif store.env.info()["map_size"] < map_size:
                store._remap(map_size)  # else (a thread's operation under way) a later MapFull makes room
            store.users += 1
            return store

    def adopt_map(self) -> bool:
        """Adopt the larger map another process gave the file (LMDB's ``MDB_MAP_RESIZED``: it grew past
        this one's), when no operation of this process runs in a worker thread: the map is replaced under
        every transaction of the process. ``False`` when one does (the operation fails; a later one adopts)."""
        with _OPEN_LOCK:
            return self._remap()

    def _remap(self, size: int = 0) -> bool:
        """Map the file at ``size`` (0: the size its meta records, the last writer's map), never smaller
        than now, unless an operation runs in a worker thread: the map is replaced under every transaction
        of the process. Whether it was done; ``_OPEN_LOCK`` held."""
        if self.threads:
            return False
        before = self.env.info()["map_size"]
        self.env.set_mapsize(size)
        if self.env.info()["map_size"] < before:
            self.env.set_mapsize(before)
        return True

    def release(self) -> None:
        with _OPEN_LOCK:
            self.users -= 1
            if self.users == 0:
                _OPEN.pop(self.key, None)
                with self._writer():
                    self._sync()
                    self.env.close()
                    self.filter = None
                os.close(self._writer_fd)

    def _sync(self) -> None:
        """Flush every process's writes to the disk, then clear the unsynced mark (the writer lock held:
        no write comes between)."""
        try:
            self._remap()  # the file's map may have grown meanwhile
            self.env.sync(True)
            with self.env.begin(write=True, db=self.meta) as txn:
                # a transaction that changes nothing is not committed (LMDB keeps its id for the next):
                # recorded only when it does, or the next opening would rebuild the key filter for nothing
                if txn.delete(_UNSYNCED):
                    self._seen(txn)
            self.env.sync(True)
        except (lmdb.Error, OSError) as exc:  # left marked: a crash of this boot is still detected
            log.warning(
                "the embedding cache's disk file could not be synced",
                extra={"event": "embed_cache.disk.sync_failed", "error": repr(exc)},
            )

    def select(self, keys: Sequence[str]) -> list[bytes | None]:
        if self.filter is not None and not any(map(self.filter.might_hold, keys)):
            return [None] * len(keys)  # the file holds none of them: no transaction
        now, found = _micros(time.time()), list[bytes | None]()
        with self.env.begin(db=self.vectors) as txn:
            get, expiry = txn.get, _STAMP.unpack_from
            for key in keys:
                raw = get(key.encode())
                if raw is None or expiry(raw)[0] <= now:
                    found.append(None)
                else:
                    found.append(raw[8:])
        return found

    @contextmanager
    def _writer(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the file's writer lock; yields whether it was had (without ``wait``: only if free at once)."""
        if not self._writing.acquire(blocking=wait):
            yield False
            return
        try:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        finally:
            self._writing.release()

    def insert(self, items: Sequence[tuple[str, bytes]], *, ttl: float, max_bytes: int, wait: bool = True) -> bool:
        """Store each ``(key, vector)`` for ``ttl`` seconds; ``False`` (nothing written) when ``wait`` is
        false and another writer holds the file."""
        now = time.time()
        expiry = stamp(now + ttl)
        rows = [(key, value, expiry) for key, value in items]
        return self.insert_rows(rows, now=_micros(now), max_bytes=max_bytes, wait=wait)

    def insert_rows(
        self, rows: Sequence[tuple[str, bytes, bytes]], *, now: int, max_bytes: int, wait: bool = True
    ) -> bool:
        """Store each ``(key, vector, expiry stamp)``, then trim to ``max_bytes``."""
        with self._writer(wait=wait) as had:
            if not had:
                return False
            try:
                self._insert(rows, now=now, max_bytes=max_bytes)
            except lmdb.MapFullError:
                # the file reached its map: make room (down to half the budget) and write once more
                self._make_room(now=now, keep=max_bytes // 2)
                self._insert(rows, now=now, max_bytes=max_bytes)
        return True

    def _insert(self, rows: Sequence[tuple[str, bytes, bytes]], *, now: int, max_bytes: int) -> None:
        # In key order: the order table's keys (expiry + key) then come after each other, so that each is
        # appended to its last page without a search (LMDB's MDB_APPEND; a key that does not sort after
        # the table's last, as another process's or an earlier expiry's, is refused and put in its place
        # instead), and the vectors' pages are changed in one sweep. A new key is written in one search
        # (``overwrite=False``), a key written again is replaced (its old size taken off the total).
        with self.env.begin(write=True) as txn:
            self._mark(txn)
            if self.filter is not None:  # before the commit: a key the file holds always has its bits
                self.filter.add(key for key, _, _ in rows)
            total = self._total(txn)
            replace, put, vectors, order = txn.replace, txn.put, self.vectors, self.order
            for key, value, expiry in sorted(rows, key=itemgetter(0)):  # stable: a key written twice, the later wins
                name = key.encode()
                stamped = expiry + value
                if put(name, stamped, overwrite=False, db=vectors):
                    total += len(value)
                else:
                    old = replace(name, stamped, db=vectors)
                    total += len(value) - (len(old) - _STAMP.size if old is not None else 0)
                written = expiry + name
                if not put(written, b"", append=True, db=order):
                    put(written, b"", db=order)
            total = self._trim(txn, now=now, keep=int(max_bytes * 0.9), total=total, over=max_bytes, sweep=len(rows))
            txn.put(_TOTAL, struct.pack("<q", total), db=self.meta)

    def _make_room(self, *, now: int, keep: int) -> None:
        while True:
            with self.env.begin(write=True) as txn:
                self._mark(txn)
                before = self._total(txn)
                total = self._trim(txn, now=now, keep=keep, total=before)
                txn.put(_TOTAL, struct.pack("<q", total), db=self.meta)
            if total <= keep or total == before:
                return

    def _trim(self, txn: lmdb.Transaction, *, now: int, keep: int, total: int, over: int = 0, sweep: int = 0) -> int:
        """Remove the oldest written: expired ones (at most ``sweep`` + a few), and, when ``total`` is
        past ``over``, as many as bring it to ``keep`` (at most ``_REMOVE``: the next writes go on).
        Returns the new total."""
        trimming = total > over
        swept, limit = 0, sweep + _SWEEP
        cursor = txn.cursor(db=self.order)
        while cursor.first() and swept < _REMOVE:
            stamp_key = cursor.key()
            expired = _STAMP.unpack_from(stamp_key)[0] <= now
            if not (expired and swept < limit) and not (trimming and total > keep):
                break
            name = stamp_key[_STAMP.size :]
            raw = txn.get(name, db=self.vectors)
            # a stale order entry (its key written again since, or dropped) only goes itself
            if raw is not None and raw[: _STAMP.size] == stamp_key[: _STAMP.size]:
                txn.delete(name, db=self.vectors)
                total -= len(raw) - _STAMP.size
            cursor.delete()
            swept += 1
        return max(total, 0)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix`` (``_REMOVE`` a transaction); how many."""
        start, removed = prefix.encode(), 0
        while True:
            with self._writer(), self.env.begin(write=True) as txn:
                self._mark(txn)
                total, batch = self._total(txn), 0
                cursor = txn.cursor(db=self.vectors)
                if cursor.set_range(start):
                    while batch < _REMOVE and (name := cursor.key()) and name.startswith(start):
                        total -= len(cursor.value()) - _STAMP.size
                        batch += 1
                        if not cursor.delete():  # the cursor moves to the next entry
                            break
                txn.put(_TOTAL, struct.pack("<q", max(total, 0)), db=self.meta)
            removed += batch
            if batch < _REMOVE:
                return removed

    def total(self) -> int:
        with self.env.begin() as txn:
            return self._total(txn)

    def _total(self, txn: lmdb.Transaction) -> int:
        raw = txn.get(_TOTAL, db=self.meta)
        return int(struct.unpack("<q", raw)[0]) if raw is not None else 0


def _micros(seconds: float) -> int:
    return int(seconds * 1e6)


def stamp(expires: float) -> bytes:
    """The expiry stamp of an entry that expires at ``expires`` (seconds since the epoch)."""
    return _STAMP.pack(max(0, _micros(expires)))


def now_micros() -> int:
    """Now, as the stamps count it."""
    return _micros(time.time())


def boot_id() -> bytes:
    """This machine's boot: Linux's boot id, elsewhere the boot time to the minute (what the clocks say)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_bytes().strip()
    except OSError:
        return str(round((time.time() - time.monotonic()) / 60)).encode()
