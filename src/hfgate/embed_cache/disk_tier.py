"""One machine's shared tier, when there is no Redis: a log of vectors in the data directory.

Every process of the machine (``--workers N``, a later ``embed-corpus`` run) opens the same directory
(``embed-cache/``): segment files (``0000000001.log``, …) to which each write appends its vectors as
records (:mod:`hfgate.embed_cache.disk_records`), and an index mapped shared by every process
(:mod:`hfgate.embed_cache.disk_index`) that says where each key's newest record is. A writer holds a
lock file (``writer.lock``) while it appends a batch in one ``pwrite`` and points the index at it;
readers take no lock: a lookup reads one bucket of the index, and for a key it finds, one ``pread`` of
the record, whose checksum and key are checked before it is served.

Why a log and not LMDB (the tier's file until 2026-11-25, imported once by
:mod:`hfgate.embed_cache.disk_import`): a miss looks one new key up and writes one vector; LMDB wrote a
B-tree's pages and an order table per vector (a 4 KiB page for a 3 KB vector), a record here is one
``pwrite`` shared by every vector of a batch (``bench/embed_cache_bench.py disk`` and ``miss``, eleventh
round in docs/benchmarks/embedding-cache.md).

Size and age: the segment being written is closed past an eighth of the tier's size (at most 256 MiB)
and a new one begun; past ``max_bytes`` the oldest segments are removed whole, and so is any whose
entries have all expired. An entry is served only until its own expiry. A key written again is
appended again: the older record is dead space until its segment goes. ``drop_prefix`` (a model's
entries removed) erases the records in place, zeros over their keys and vectors.

Crashes: nothing is fsynced while the service runs; a killed process loses nothing written (the
kernel has it). A machine that goes down may lose what the kernel had not written, and may leave a
record or an index page half written: records carry their checksum, the index is only a hint, so no
wrong vector can be served; still, the index is rebuilt from the segments (each read to its first
record that is not whole) when the file was left unsynced by an earlier boot (every writer marks the
index with the machine's boot id, the last process to close syncs the files and clears the mark), and
a new segment begun, so that nothing is appended after a torn record.

Everything runs on the caller's thread (the event loop's) when it can: a request's lookup (at most 32
keys) and a write, when no other writer holds the lock; else the write waits in a worker thread. A
large lookup (a corpus part's) and a model's removal run in a worker thread.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import struct
import threading
import time
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hfgate.embed_cache import disk_records as records
from hfgate.embed_cache.bypass import Bypass
from hfgate.embed_cache.disk_index import MAX_SEGMENTS, Index, Segment, buckets_for, digest, location

log = logging.getLogger("hfgate.embed_cache")

# Lookups of at most this many keys run on the calling (event loop) thread.
_INLINE = 32
# Vectors written in one append (~0.3 ms on the caller's thread).
_SLICE = 256
# The segment being written is closed past max_bytes / _SEGMENTS (and past _MAX_SEGMENT).
_SEGMENTS = 8
_MAX_SEGMENT = 256 << 20
# An entry's expiry, microseconds since the epoch, big-endian (the stamps the importers pass).
_STAMP = struct.Struct(">Q")
INDEX = "index"
WRITER = "writer.lock"
# A directory is opened once per process (its files and index shared by every tier on it).
_OPEN: dict[tuple[int, str], _Store] = {}
_OPEN_LOCK = threading.Lock()


class DiskTier:
    """Packed vectors in a log of segment files and a shared index.

    Args:
        path: the directory, e.g. ``data_dir / "embed-cache"``.
        max_bytes: the size the segments may take before the oldest are removed.
        ttl_seconds: each entry's lifetime.
        retry_seconds: how long the tier is skipped after a failure.
    """

    name = "disk"

    def __init__(self, path: Path, *, max_bytes: int, ttl_seconds: float, retry_seconds: float = 5.0) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.health = Bypass(self.name, retry_seconds=retry_seconds)
        self._store = _Store.open(path)
        self._closed = False

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Each key's vector, or ``None`` (also for all of them when the tier fails)."""
        found = self.get_now(keys)
        if found is not None:
            return found
        if self.health.skipping():
            return [None] * len(keys)
        try:
            found = await asyncio.to_thread(self._store.select, keys)
        except (OSError, ValueError) as exc:  # ValueError: an index another process damaged
            self.health.failed(exc)
            return [None] * len(keys)
        self.health.worked()
        return found

    def get_now(self, keys: Sequence[str]) -> list[bytes | None] | None:
        """:meth:`get_many` on this (the event loop's) thread, for a request's lookup of at most ``_INLINE``
        keys; ``None`` for a larger one (:meth:`get_many` reads it in a worker thread)."""
        if len(keys) > _INLINE:
            return None
        if not keys or self.health.skipping():
            return [None] * len(keys)
        try:
            found = self._store.select(keys)
        except (OSError, ValueError) as exc:  # ValueError: an index another process damaged
            self.health.failed(exc)
            return [None] * len(keys)
        self.health.worked()
        return found

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store each ``(key, vector)``; past ``max_bytes``, remove the oldest segments.

        Written on the caller's thread, ``_SLICE`` vectors an append with a loop turn between them, when
        the writer lock is free at once; else (another process or thread writing) in a worker thread
        that waits for it."""
        if not items or self.health.skipping():
            return
        try:
            for start in range(0, len(items), _SLICE):
                part = items[start : start + _SLICE]
                if start:
                    await asyncio.sleep(0)
                if not self._store.insert(part, ttl=self.ttl_seconds, max_bytes=self.max_bytes, wait=False):
                    await asyncio.to_thread(self._store.insert, part, ttl=self.ttl_seconds, max_bytes=self.max_bytes)
            if self._store.index_full:
                await asyncio.to_thread(self._store.grow_index)
        except (OSError, ValueError) as exc:  # ValueError: an index another process damaged
            self.health.failed(exc)
            return
        self.health.worked()

    async def drop_prefix(self, prefix: str) -> int:
        """Erase every entry whose key starts with ``prefix``; how many keys were removed."""
        return await asyncio.to_thread(self._store.delete_prefix, prefix)

    def import_rows(self, rows: Sequence[tuple[str, bytes, bytes]]) -> None:
        """Store each ``(key, vector, expiry stamp)`` (:func:`stamp`) on this thread, waiting for the lock."""
        self._store.insert_rows(rows, now=now_micros(), max_bytes=self.max_bytes)
        if self._store.index_full:
            self._store.grow_index()

    def stored_bytes(self) -> int:
        """What the segments take (records of live, replaced and erased entries until their segment goes)."""
        return self._store.total()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._store.release()


class _Store:
    """One process's opening of the directory, shared by every :class:`DiskTier` on it."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.key = (os.getpid(), str(path.resolve()))
        self.users = 0
        self.boot = boot_id()
        # segment files open for reading, by the low 16 bits of their number (the index's): (number, fd)
        self._fds: dict[int, tuple[int, int]] = {}
        self._generation = -1
        self._reading = threading.RLock()
        self._retired: list[Index] = []  # indexes replaced while this process had them mapped
        self._append: tuple[int, int] | None = None  # the segment this process appends to: (number, fd)
        # every writer, in any process, holds this (flock on a file of its own, and a lock for this
        # process's threads), so that a write on the event loop's thread can tell at once whether it waits
        self._writing = threading.Lock()
        self._writer_fd = os.open(path / WRITER, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            with self._writer():
                self.index = self._open_index()
        except BaseException:
            os.close(self._writer_fd)
            raise

    @classmethod
    def open(cls, path: Path) -> _Store:
        key = (os.getpid(), str(path.resolve()))
        with _OPEN_LOCK:
            store = _OPEN.get(key)
            if store is None:
                store = _OPEN[key] = cls(path)
            store.users += 1
            return store

    def _open_index(self) -> Index:
        """The directory's index, rebuilt from the segments when it is missing or damaged, or was left
        unsynced by a machine that went down (the writer lock held)."""
        where = self.path / INDEX
        try:
            index = Index(where)
        except FileNotFoundError:
            return self._rebuild(why="missing")
        except ValueError:
            return self._rebuild(why="damaged")
        if index.dirty and index.dirty != self.boot:
            index.close()
            return self._rebuild(why="crashed")
        self._remove_strays(index)
        return index

    def _rebuild(self, *, why: str) -> Index:
        """A new index of every live record in the segment files, written beside and put in place; a new
        segment begun (nothing appended after what may be a torn record)."""
        numbers = sorted(int(p.stem) for p in self.path.glob("*.log") if p.stem.isdigit())
        for old in numbers[: -(MAX_SEGMENTS - 1)]:
            self._segment_path(old).unlink(missing_ok=True)
        numbers = numbers[-(MAX_SEGMENTS - 1) :]
        begun = numbers[-1] + 1 if numbers else 1
        now, found, segments = now_micros(), array("Q"), []
        for number in numbers:
            used, expiry = self._scan_segment(number, now, found)
            segments.append(Segment(number, used, expiry))
        index = Index.create(self.path / INDEX, bits=buckets_for(len(found) // 2), next_number=begun + 1)
        try:
            for i in range(0, len(found), 2):  # in the order written: a key's newest record last
                index.put(found[i], found[i + 1])
            self._segment_path(begun).write_bytes(b"")
            index.set_segments([*segments, Segment(begun, 0, 0)])
            index.install(self.path / INDEX)
        except BaseException:
            index.close()
            index.path.unlink(missing_ok=True)
            raise
        if numbers or why != "missing":
            log.warning(
                "the embedding cache's disk index was rebuilt from its segment files",
                extra={"event": "embed_cache.disk.rebuilt", "why": why, "entries": index.keys, "dir": str(self.path)},
            )
        return index

    def _scan_segment(self, number: int, now: int, found: array[int]) -> tuple[int, int]:
        """Add each live record of segment ``number`` to ``found`` (its key's digest, its location); the
        segment's whole records' size and latest expiry."""
        used = latest = 0
        with open(self._segment_path(number), "rb") as file:
            for record in records.scan_file(file.fileno()):
                used = record.offset + record.size
                if record.expiry > now:
                    found.append(digest(record.key.decode("utf-8", "surrogatepass")))
                    found.append(location(number, record.size, record.offset))
                    latest = max(latest, record.expiry)
        return used, latest

    @property
    def index_full(self) -> bool:
        """Whether the index is due to grow (:meth:`grow_index`)."""
        return self.index.full

    def grow_index(self) -> None:
        """Put an index twice the size in place of the current one, unless another writer just did."""
        with self._writer():
            index = self._current()
            if index.full:
                grown = index.resized()
                grown.install(self.path / INDEX)
                with self._reading:
                    self._retired.append(self.index)  # a lookup in another thread may still read it
                    self.index = grown

    def _remove_strays(self, index: Index) -> None:
        """Remove the segment files the table does not name (a writer that died between making one and
        recording it, or between removing one from the table and from the directory)."""
        named = {segment.number for segment in index.segments()}
        for part in self.path.glob("*.log"):
            if part.stem.isdigit() and int(part.stem) not in named:
                part.unlink(missing_ok=True)
        (self.path / f"{INDEX}.new").unlink(missing_ok=True)

    def _segment_path(self, number: int) -> Path:
        return self.path / f"{number:010d}.log"

    def _current(self) -> Index:
        """The index, mapped again if another process put a new one in its place."""
        index = self.index
        if index.replaced:
            with self._reading:
                if self.index.replaced:
                    self._retired.append(self.index)  # a lookup in another thread may still read it
                    self.index = Index(self.path / INDEX)
                index = self.index
        return index

    def select(self, keys: Sequence[str]) -> list[bytes | None]:
        find = self._current().find
        now, found = 0, list[bytes | None]()
        for key in keys:
            where = find(digest(key))
            if not where:
                found.append(None)
                continue
            now = now or now_micros()
            found.append(self._read(key, where, now))
        return found

    def _read(self, key: str, where: int, now: int) -> bytes | None:
        """``key``'s vector from the record at ``where``, when it is whole, ``key``'s and alive."""
        segment = self._fds.get(where >> 48) or self._open_segment(where >> 48)
        if segment is None:
            return None
        try:
            raw = os.pread(segment[1], (where >> 32 & 0xFFFF) * 8, where & 0xFFFFFFFF)
        except OSError:  # the file closed by another thread meanwhile (its segment gone)
            return None
        return records.read(raw, key.encode("utf-8", "surrogatepass"), now)

    def _open_segment(self, low: int) -> tuple[int, int] | None:
        """The segment file whose number ends in ``low``, opened for reading; ``None`` when it is gone."""
        with self._reading:
            index = self._current()
            segments = index.segments()
            if index.generation != self._generation:  # segments were removed: close their files
                self._generation = index.generation
                live = {segment.number for segment in segments}
                for gone in [low_ for low_, (number, _) in self._fds.items() if number not in live]:
                    os.close(self._fds.pop(gone)[1])
            if low in self._fds:
                return self._fds[low]
            for segment in segments:
                if segment.number & 0xFFFF == low:
                    try:
                        fd = os.open(self._segment_path(segment.number), os.O_RDONLY)
                    except FileNotFoundError:
                        return None
                    self._fds[low] = (segment.number, fd)
                    return self._fds[low]
        return None

    @contextmanager
    def _writer(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the writer lock; yields whether it was had (without ``wait``: only if free at once)."""
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
        false and another writer holds the lock."""
        now = time.time()
        expiry = stamp(now + ttl)
        rows = [(key, value, expiry) for key, value in items]
        return self.insert_rows(rows, now=_micros(now), max_bytes=max_bytes, wait=wait)

    def insert_rows(
        self, rows: Sequence[tuple[str, bytes, bytes]], *, now: int, max_bytes: int, wait: bool = True
    ) -> bool:
        """Store each ``(key, vector, expiry stamp)`` not yet expired, then keep to ``max_bytes``."""
        with self._writer(wait=wait) as had:
            if not had:
                return False
            index = self._current()
            if index.dirty != self.boot:
                index.set_dirty(self.boot)
            segments = self._append_rows(index, rows, now=now)
            self._roll(index, segments, now=now, max_bytes=max_bytes)
        return True

    def _append_rows(self, index: Index, rows: Sequence[tuple[str, bytes, bytes]], *, now: int) -> list[Segment]:
        """Append the rows' records to the last segment in one write, then point the index at them (a
        slot found leads to a whole record); the segment table after it."""
        segments = index.segments()
        last = segments[-1]
        parts, slots, offset, latest = [], [], last.used, last.expiry
        for key, value, expires in rows:
            expiry = _STAMP.unpack(expires)[0]
            if expiry <= now:
                continue
            record = records.pack(key.encode("utf-8", "surrogatepass"), value, expiry)
            if len(record) > records.MAX_SIZE:  # beyond what a slot can locate (~512 KB): not kept
                continue
            parts.append(record)
            slots.append((digest(key), location(last.number, len(record), offset)))
            offset, latest = offset + len(record), max(latest, expiry)
        if not parts:
            return segments
        data = b"".join(parts)
        if os.pwrite(self._append_fd(last.number), data, last.used) != len(data):
            raise OSError(errno.ENOSPC, "the embedding cache's segment file was written short (disk full?)")
        for h, where in slots:  # in order: a key written twice in one batch, the later wins
            index.put(h, where)
        index.set_last(offset, latest)
        segments[-1] = Segment(last.number, offset, latest)
        return segments

    def _append_fd(self, number: int) -> int:
        if self._append is None or self._append[0] != number:
            fd = os.open(self._segment_path(number), os.O_WRONLY | os.O_CREAT, 0o644)
            if self._append is not None:
                os.close(self._append[1])
            self._append = (number, fd)
        return self._append[1]

    def _roll(self, index: Index, segments: list[Segment], *, now: int, max_bytes: int) -> None:
        """Begin a new segment when the last one is full; remove the oldest past ``max_bytes``, and any
        whose entries have all expired (the writer lock held)."""
        changed, number = False, index.next_number
        if segments[-1].used >= min(_MAX_SEGMENT, max(1, max_bytes // _SEGMENTS)):
            self._segment_path(number).write_bytes(b"")
            segments, number, changed = [*segments, Segment(number, 0, 0)], number + 1, True
        kept = [segment for segment in segments[:-1] if segment.expiry > now] + segments[-1:]
        total = sum(segment.used for segment in kept)
        while len(kept) > 1 and (total > max_bytes or len(kept) > MAX_SEGMENTS):
            total -= kept.pop(0).used
        if changed or len(kept) != len(segments):
            index.set_segments(kept, next_number=number)
            live = {segment.number for segment in kept}
            for segment in segments:
                if segment.number not in live:
                    self._segment_path(segment.number).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        """Erase every record whose key starts with ``prefix`` and forget it in the index; how many live
        keys were removed."""
        start, removed = prefix.encode("utf-8", "surrogatepass"), set[bytes]()
        with self._writer():
            index, now = self._current(), now_micros()
            for segment in index.segments():
                removed |= self._erase(index, segment, start, now)
        return len(removed)

    def _erase(self, index: Index, segment: Segment, start: bytes, now: int) -> set[bytes]:
        try:
            fd = os.open(self._segment_path(segment.number), os.O_RDWR)
        except FileNotFoundError:
            return set()
        removed = set[bytes]()
        try:
            for record in records.scan_file(fd, segment.used):
                if record.expiry and record.key.startswith(start):
                    os.pwrite(fd, records.erased(record), record.offset)
                    key = record.key.decode("utf-8", "surrogatepass")
                    index.forget(digest(key), location(segment.number, record.size, record.offset))
                    if record.expiry > now:
                        removed.add(record.key)
        finally:
            os.close(fd)
        return removed

    def total(self) -> int:
        return sum(segment.used for segment in self._current().segments())

    def release(self) -> None:
        with _OPEN_LOCK:
            self.users -= 1
            if self.users == 0:
                _OPEN.pop(self.key, None)
                with self._writer():
                    self._sync()
                for _, fd in [*self._fds.values(), *([self._append] if self._append else [])]:
                    os.close(fd)
                for index in [*self._retired, self.index]:
                    index.close()
                self._retired.clear()
                self._fds.clear()
                self._append = None
                os.close(self._writer_fd)

    def _sync(self) -> None:
        """Write every process's writes to the disk, then clear the unsynced mark (the writer lock held:
        no write comes between)."""
        try:
            index = self._current()
            for segment in index.segments():
                with open(self._segment_path(segment.number), "rb") as file:
                    os.fsync(file.fileno())
            index.flush()
            if index.dirty:
                index.set_dirty(b"")
                index.flush()
        except OSError as exc:  # left marked: a crash of this boot is still detected
            log.warning(
                "the embedding cache's disk files could not be synced",
                extra={"event": "embed_cache.disk.sync_failed", "error": repr(exc)},
            )


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
