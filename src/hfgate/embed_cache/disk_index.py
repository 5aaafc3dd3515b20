"""The disk tier's index: where each key's newest record is, in a file every process maps shared.

A hash table of buckets of 4 slots (64 bytes, one cache line); a slot holds a key's 64-bit digest and
its record's location (the segment's number, low 16 bits; the record's size in 8-byte units, 16 bits;
its offset, 32 bits). A lookup reads one bucket: a key the cache does not hold (every miss) costs that
read and nothing else, no system call. Only writers change it, under the tier's writer lock; readers
take no lock, and what they read is only a hint: the record it leads to is checked (its checksum, its
key) before it is served, so a slot read while it changes, or left stale by a crash, is a miss, never a
wrong vector. A key whose bucket is full goes in the next bucket with room (open addressing); a
removed key's slot is marked so, and searches go on past it.

It grows with the keys it holds: past half its slots used, a writer makes one with room for half as
many keys again (twice the size; in a worker thread), so that its pages stay few while the cache is small: a
page written through a shared map faults again each time the kernel has written it back (~30 s, ~8 us
a fault here), and every lookup's page is mapped when the index is opened.

The header (the first 4 KiB) holds the segment table: each live segment's number, the bytes written
to it and the latest expiry in it, oldest first, the last one the segment being written. Also the next
segment's number, a generation counted up at each change of the table (readers then close the files of
segments gone), and the boot id of the machine whose writes were not yet synced to the disk.

A new index (or one rebuilt from the segments) is written beside and put in place by rename; the one
it replaces is marked so, and every process maps the new one at its next lookup.
"""

from __future__ import annotations

import mmap
import os
import struct
from array import array
from hashlib import blake2b
from pathlib import Path
from typing import NamedTuple

HEADER = 4096
_MAGIC = b"hfgidx\x00\x01"
# header fields: magic, bucket bits, replaced flag, generation, next segment number, dirty boot id,
# keys held (slots used)
_FIELDS = struct.Struct("<8sII QQ 48s")
_REPLACED_AT = 12
_DIRTY_AT = 32
_KEYS = struct.Struct("<Q")
_KEYS_AT = 80
_COUNT = struct.Struct("<I")
_COUNT_AT = 88
_SEGMENT = struct.Struct("<QQQ")
_TABLE_AT = 96
MAX_SEGMENTS = (HEADER - _TABLE_AT) // _SEGMENT.size // 2  # 83: room to spare
_BUCKET = struct.Struct("<8Q")
_SLOT = struct.Struct("<QQ")
# every page of the index mapped when it is opened (Linux): a lookup then never faults, not even the
# first of a page (~20 us for the kernel's 16 pages around it)
POPULATE = getattr(mmap, "MAP_POPULATE", 0)
# a slot's digest: 0 empty, 1 removed (its key's search goes on past it), else a key's
_EMPTY, _GONE = 0, 1
# buckets a search goes through at most (at most half the slots used: nearly always one)
_PROBES = 64
_MIX = 0x9E3779B97F4A7C15
_PREFIXES: dict[str, int] = {}
_BITS64 = (1 << 64) - 1
MIN_BUCKETS_LOG2 = 12
MAX_BUCKETS_LOG2 = 22


class Segment(NamedTuple):
    """One segment file's entry in the table."""

    number: int
    used: int
    expiry: int


def digest(key: str) -> int:
    """``key``'s 64 bits, never 0 or 1 (an empty or removed slot). A cache key is a vector space's prefix and a text's
    digest (``prefix:hex``): the text digest's last 16 hex digits, mixed with the prefix's own hash (one
    text embedded by two models: two keys, two slots), then spread (keys that are not digests, a test's
    ``…0001``, ``…0002``, still fall in many buckets); any other key is hashed whole."""
    prefix, _, text = key.rpartition(":")
    try:
        h = (int(text[-16:], 16) ^ (_PREFIXES.get(prefix) or _prefix_bits(prefix))) * _MIX & _BITS64
    except ValueError:
        h = hash_bytes(key.encode("utf-8", "surrogatepass"))
    return h if h > _GONE else h + 2


def _prefix_bits(prefix: str) -> int:
    """A prefix's 64 bits, computed once (a process meets few vector spaces)."""
    found = _PREFIXES.get(prefix)
    if found is None:
        if len(_PREFIXES) >= 4096:
            _PREFIXES.clear()
        found = _PREFIXES[prefix] = hash_bytes(prefix.encode("utf-8", "surrogatepass"))
    return found


def hash_bytes(raw: bytes) -> int:
    return int.from_bytes(blake2b(raw, digest_size=8).digest(), "little")


def location(number: int, size: int, offset: int) -> int:
    """A slot's location of a record of ``size`` bytes at ``offset`` in segment ``number``."""
    return (number & 0xFFFF) << 48 | (size // 8) << 32 | offset


def buckets_for(keys: int) -> int:
    """The log2 of the buckets for ``keys`` keys: at most half the slots used, 2^12 to 2^22 buckets
    (256 KiB to 256 MiB)."""
    return min(MAX_BUCKETS_LOG2, max(MIN_BUCKETS_LOG2, (max(keys, 1) - 1).bit_length() - 1))


class Index:
    """A mapping of the index file at ``path``. Raises ``ValueError`` when it is not one of this version,
    ``OSError`` when it cannot be opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "r+b") as file:
            size = os.fstat(file.fileno()).st_size
            if size < HEADER:
                raise ValueError(f"{path} is not an embedding cache index")
            self.map = mmap.mmap(file.fileno(), size, flags=mmap.MAP_SHARED | POPULATE)
        magic, bits = _FIELDS.unpack_from(self.map)[:2]
        if magic != _MAGIC or not MIN_BUCKETS_LOG2 <= bits <= MAX_BUCKETS_LOG2 or size != HEADER + (64 << bits):
            self.map.close()
            raise ValueError(f"{path} is not an embedding cache index of this version")
        self.bits: int = int(bits)
        self.shift, self._mask = 64 - self.bits, (1 << self.bits) - 1

    @classmethod
    def create(cls, path: Path, *, bits: int, next_number: int) -> Index:
        """A new, empty index of ``2**bits`` buckets, written beside ``path`` (``.new``) until
        :meth:`install` puts it in place."""
        new = path.with_name(path.name + ".new")
        try:
            with open(new, "wb") as file:
                file.truncate(HEADER + (64 << bits))
                file.write(_FIELDS.pack(_MAGIC, bits, 0, 0, next_number, b""))
            return cls(new)
        except BaseException:
            new.unlink(missing_ok=True)
            raise

    def install(self, path: Path) -> None:
        """Put this new index in place of whatever is at ``path``, marking that one replaced."""
        old = _replaceable(path)
        os.replace(self.path, path)
        self.path = path
        if old is not None:
            old.map[_REPLACED_AT] = 1
            old.close()

    def close(self) -> None:
        self.map.close()

    @property
    def replaced(self) -> bool:
        """Whether another index was put in place of this one (map the file again)."""
        return bool(self.map[_REPLACED_AT])

    def find(self, h: int) -> int:
        """The location of the record of the key whose digest is ``h``; 0 when there is none. From the
        key's bucket on, up to the first bucket with an empty slot (nearly always the first)."""
        bucket = h >> self.shift
        slots: tuple[int, int, int, int, int, int, int, int] = _BUCKET.unpack_from(self.map, HEADER + (bucket << 6))
        a, la, b, lb, c, lc, d, ld = slots
        if a == h:
            return la
        if b == h:
            return lb
        if c == h:
            return lc
        if d == h:
            return ld
        if not (a and b and c and d):
            return 0
        return self._find_on(h, bucket)

    def _find_on(self, h: int, bucket: int) -> int:
        """:meth:`find` past a full bucket."""
        for _ in range(_PROBES - 1):
            bucket = (bucket + 1) & self._mask
            slots: tuple[int, ...] = _BUCKET.unpack_from(self.map, HEADER + (bucket << 6))
            for i in range(0, 8, 2):
                if slots[i] == h:
                    return slots[i + 1]
            if _EMPTY in slots[::2]:
                return 0
        return 0

    def put(self, h: int, where: int) -> None:
        """Point ``h`` at ``where``: its own slot, else the first free one from its bucket on (the writer
        lock held). Only in a table at its largest size and nearly full does a key take the place of
        its bucket's oldest."""
        home = bucket = h >> self.shift
        free = -1
        for _ in range(_PROBES):
            at = HEADER + (bucket << 6)
            slots = _BUCKET.unpack_from(self.map, at)
            for i in range(0, 8, 2):
                if slots[i] == h:
                    _SLOT.pack_into(self.map, at + i * 8, h, where)
                    return
                if free < 0 and slots[i] <= _GONE:
                    free = at + i * 8
            if _EMPTY in slots[::2]:  # the key is not in a later bucket
                break
            bucket = (bucket + 1) & self._mask
        if free < 0:
            at = HEADER + (home << 6)
            slots = _BUCKET.unpack_from(self.map, at)
            free = at + 8 * min(range(0, 8, 2), key=lambda i: _age(slots[i + 1]))
        elif _SLOT.unpack_from(self.map, free)[0] == _EMPTY:
            self._count(1)
        _SLOT.pack_into(self.map, free, h, where)

    def forget(self, h: int, where: int) -> None:
        """Mark ``h``'s slot removed if it still points at ``where`` (the writer lock held). The slot
        stays used (a later key's search goes on past it) until the index is resized."""
        bucket = h >> self.shift
        for _ in range(_PROBES):
            at = HEADER + (bucket << 6)
            slots = _BUCKET.unpack_from(self.map, at)
            for i in range(0, 8, 2):
                if slots[i] == h:
                    if slots[i + 1] == where:
                        _SLOT.pack_into(self.map, at + i * 8, _GONE, 0)
                    return
            if _EMPTY in slots[::2]:
                return
            bucket = (bucket + 1) & self._mask

    def _count(self, change: int) -> None:
        _KEYS.pack_into(self.map, _KEYS_AT, max(0, self.keys + change))

    @property
    def keys(self) -> int:
        """The slots used (by keys, or marked removed)."""
        return int(_KEYS.unpack_from(self.map, _KEYS_AT)[0])

    @property
    def full(self) -> bool:
        """Past half its slots used, below the largest size: due to be resized (:meth:`resized`)."""
        return self.bits < MAX_BUCKETS_LOG2 and self.keys > 2 << self.bits

    def resized(self) -> Index:
        """A copy of this index with room for half as many keys again before it is full (twice the size
        when every used slot holds a key; removed ones are left out), beside it until :meth:`install`
        (the writer lock held: nothing changes meanwhile)."""
        live = array("Q")  # 16 bytes a key: a million keys' copy is 16 MB, not Python's tuples
        for h, where in _SLOT.iter_unpack(memoryview(self.map)[HEADER:]):
            if h > _GONE:
                live.append(h)
                live.append(where)
        keys = len(live) // 2
        made = Index.create(self.path, bits=buckets_for(keys + keys // 2), next_number=self.next_number)
        try:
            made.set_segments(self.segments())
            struct.pack_into("<Q", made.map, 16, self.generation + 1)  # the generation goes on
            made.set_dirty(self.dirty)
            for i in range(0, len(live), 2):
                made.put(live[i], live[i + 1])
        except BaseException:
            made.close()
            made.path.unlink(missing_ok=True)
            raise
        return made

    @property
    def generation(self) -> int:
        return int(_FIELDS.unpack_from(self.map)[3])

    @property
    def next_number(self) -> int:
        return int(_FIELDS.unpack_from(self.map)[4])

    @property
    def dirty(self) -> bytes:
        """The boot id of the machine whose writes may not be on the disk yet; ``b""`` when all are."""
        return bytes(_FIELDS.unpack_from(self.map)[5]).rstrip(b"\x00")

    def set_dirty(self, boot: bytes) -> None:
        struct.pack_into("<48s", self.map, _DIRTY_AT, boot)

    def segments(self) -> list[Segment]:
        """The segment table, oldest first (a reader may see it while a writer changes it: the files it
        names are checked on opening)."""
        (count,) = _COUNT.unpack_from(self.map, _COUNT_AT)
        count = min(count, MAX_SEGMENTS)
        return [Segment(*_SEGMENT.unpack_from(self.map, _TABLE_AT + i * _SEGMENT.size)) for i in range(count)]

    def set_segments(self, segments: list[Segment], *, next_number: int | None = None) -> None:
        """Replace the table (the writer lock held); a new generation."""
        for i, segment in enumerate(segments):
            _SEGMENT.pack_into(self.map, _TABLE_AT + i * _SEGMENT.size, *segment)
        _COUNT.pack_into(self.map, _COUNT_AT, len(segments))
        fields = _FIELDS.unpack_from(self.map)
        struct.pack_into("<QQ", self.map, 16, fields[3] + 1, self.next_number if next_number is None else next_number)

    def set_last(self, used: int, expiry: int) -> None:
        """Record the segment being written: ``used`` bytes, its latest expiry (the writer lock held)."""
        count = _COUNT.unpack_from(self.map, _COUNT_AT)[0]
        struct.pack_into("<QQ", self.map, _TABLE_AT + (count - 1) * _SEGMENT.size + 8, used, expiry)

    def flush(self) -> None:
        self.map.flush()


def _age(where: int) -> int:
    """A slot's age order: its segment's number then offset (segment numbers wrap after 65,536: a slot
    that old is long stale)."""
    return where >> 48 << 32 | where & 0xFFFFFFFF


def _replaceable(path: Path) -> Index | None:
    try:
        return Index(path)
    except (OSError, ValueError):
        return None
