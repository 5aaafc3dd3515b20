"""The disk tier's index: where each key's newest record is, in a file every process maps shared.

A hash table of buckets of 4 slots (64 bytes, one cache line); a slot holds a key's 64-bit digest and
its record's location (the segment's number, low 16 bits; the record's size in 8-byte units, 16 bits;
its offset, 32 bits). A lookup reads one bucket: a key the cache does not hold (every miss) costs that
read and nothing else, no system call. Only writers change it, under the tier's writer lock; readers
take no lock, and what they read is only a hint: the record it leads to is checked (its checksum, its
key) before it is served, so a slot read while it changes, or left stale by a crash, is a miss, never a
wrong vector. A bucket that is full gives up its oldest slot: the table forgets, it never misleads.

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
from hashlib import blake2b
from pathlib import Path
from typing import NamedTuple

HEADER = 4096
_MAGIC = b"hfgidx\x00\x01"
# header fields: magic, bucket bits, replaced flag, generation, next segment number, dirty boot id
_FIELDS = struct.Struct("<8sII QQ 48s")
_REPLACED_AT = 12
_DIRTY_AT = 32
_COUNT = struct.Struct("<I")
_COUNT_AT = 88
_SEGMENT = struct.Struct("<QQQ")
_TABLE_AT = 96
MAX_SEGMENTS = (HEADER - _TABLE_AT) // _SEGMENT.size // 2  # 83: room to spare
_BUCKET = struct.Struct("<8Q")
_MIX = 0x9E3779B97F4A7C15
_BITS64 = (1 << 64) - 1
MIN_BUCKETS_LOG2 = 12
MAX_BUCKETS_LOG2 = 22


class Segment(NamedTuple):
    """One segment file's entry in the table."""

    number: int
    used: int
    expiry: int


def digest(key: str) -> int:
    """``key``'s 64 bits, never 0 (an empty slot): its last 16 hex digits (a text's digest) mixed, so that
    keys that are not digests (a test's ``…0001``, ``…0002``) still spread; else a hash of it."""
    try:
        h = int(key[-16:], 16) * _MIX & _BITS64
    except ValueError:
        h = hash_bytes(key.encode("utf-8", "surrogatepass"))
    return h or 1


def hash_bytes(raw: bytes) -> int:
    return int.from_bytes(blake2b(raw, digest_size=8).digest(), "little")


def location(number: int, size: int, offset: int) -> int:
    """A slot's location of a record of ``size`` bytes at ``offset`` in segment ``number``."""
    return (number & 0xFFFF) << 48 | (size // 8) << 32 | offset


def buckets_for(max_bytes: int) -> int:
    """The log2 of the buckets for a tier of ``max_bytes``: a slot per 512 bytes (a 384-float vector's
    record is ~1.6 KB: a third of the slots used when full), 2^12 to 2^22 buckets (256 KiB to 256 MiB,
    a sparse file: only the pages written take room)."""
    wanted = max(1, max_bytes // 512 // 4)
    return min(MAX_BUCKETS_LOG2, max(MIN_BUCKETS_LOG2, (wanted - 1).bit_length()))


class Index:
    """A mapping of the index file at ``path``. Raises ``ValueError`` when it is not one of this version,
    ``OSError`` when it cannot be opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "r+b") as file:
            size = os.fstat(file.fileno()).st_size
            if size < HEADER:
                raise ValueError(f"{path} is not an embedding cache index")
            self.map = mmap.mmap(file.fileno(), size)
        magic, bits = _FIELDS.unpack_from(self.map)[:2]
        if magic != _MAGIC or not MIN_BUCKETS_LOG2 <= bits <= MAX_BUCKETS_LOG2 or size != HEADER + (64 << bits):
            self.map.close()
            raise ValueError(f"{path} is not an embedding cache index of this version")
        self.shift = 64 - bits
        read_ahead(self.map)

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
        """The location of the record of the key whose digest is ``h``; 0 when there is none."""
        slots: tuple[int, int, int, int, int, int, int, int] = _BUCKET.unpack_from(
            self.map, HEADER + ((h >> self.shift) << 6)
        )
        a, la, b, lb, c, lc, d, ld = slots
        if a == h:
            return la
        if b == h:
            return lb
        if c == h:
            return lc
        if d == h:
            return ld
        return 0

    def put(self, h: int, where: int) -> None:
        """Point ``h`` at ``where``: its own slot, else an empty one, else the bucket's oldest (the writer
        lock held)."""
        at = HEADER + ((h >> self.shift) << 6)
        slots = _BUCKET.unpack_from(self.map, at)
        choice = -1
        for i in range(0, 8, 2):
            if slots[i] == h:
                choice = i
                break
            if choice < 0 and slots[i] == 0:
                choice = i
        if choice < 0:
            choice = min(range(0, 8, 2), key=lambda i: _age(slots[i + 1]))
        struct.pack_into("<QQ", self.map, at + choice * 8, h, where)

    def forget(self, h: int, where: int) -> None:
        """Empty ``h``'s slot if it still points at ``where`` (the writer lock held)."""
        at = HEADER + ((h >> self.shift) << 6)
        slots = _BUCKET.unpack_from(self.map, at)
        for i in range(0, 8, 2):
            if slots[i] == h and slots[i + 1] == where:
                struct.pack_into("<QQ", self.map, at + i * 8, 0, 0)

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


def read_ahead(mapped: mmap.mmap) -> None:
    """Ask the kernel to read the whole index now, in large reads, rather than a page at each lookup's
    fault (an index not in memory: the machine's first start, or pages dropped under memory pressure)."""
    if hasattr(mmap, "MADV_WILLNEED"):
        mapped.madvise(mmap.MADV_WILLNEED)


def _age(where: int) -> int:
    """A slot's age order: its segment's number then offset (segment numbers wrap after 65,536: a slot
    that old is long stale)."""
    return where >> 48 << 32 | where & 0xFFFFFFFF


def _replaceable(path: Path) -> Index | None:
    try:
        return Index(path)
    except (OSError, ValueError):
        return None
