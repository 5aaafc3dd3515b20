"""Which keys the disk file may hold: a Bloom filter in a file beside it (``embed-cache.mdb-filter``),
mapped shared by every process of the machine, so that a lookup of keys the file does not hold (every
miss) reads no LMDB page and opens no transaction.

A key sets 4 bits of one 64-bit word (a blocked Bloom filter: one memory read a lookup), taken from the
key's last 16 hex digits (a text's digest; any other key is hashed). Sized at 16 bits a key for
``capacity`` keys: at most ~0.5% of the keys it does not hold are answered "maybe" (then looked up).

Bits are set only under the disk file's writer lock, by the writer, before its transaction commits:
a key the file holds always has its bits. A reader takes no lock; one that reads the word as a writer
sets it misses an entry written at that instant, as it would have a moment earlier. Removed entries
(expired, trimmed, a model dropped) keep their bits: when the keys it was built with plus those added
since pass ``capacity``, the writer builds a new filter from the file's keys (:meth:`DiskTier.put_many`,
in a worker thread: ~1 s of CPU per million keys, so ~0.5 us a key added over time), with room for
three times as many, writes it to a new file and renames it into place, then marks the old one
replaced; every process maps the new one at its next use.

The header (eight 64-bit words) names the LMDB file it describes (a random id the file's ``meta`` keeps
too) and its last write transaction: a filter that names another file, or not the last transaction (a
writer that did not keep the filter: an earlier version of hfgate), is rebuilt when the file is opened.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterable
from hashlib import blake2b
from pathlib import Path

_MAGIC = int.from_bytes(b"hfgkf\x00\x00\x01", "little")  # the last byte: the layout's version
# the header's words
_MAGIC_AT, _REPLACED, _WORDS, _CAPACITY, _KEYS, _TXNID, _ID = 0, 1, 2, 3, 4, 5, 6  # _ID: two words
_HEADER = 8
_BITS_A_KEY = 16
_MIX, _BITS64 = 0x9E3779B97F4A7C15, (1 << 64) - 1
MIN_CAPACITY = 1 << 16
"""Keys a new filter has room for at least (128 KiB)."""
HEADROOM = 3
"""A rebuilt filter has room for this many times the keys it was built with."""


class KeyFilter:
    """One process's mapping of the filter file.

    Use :meth:`open` for an existing one and :meth:`build` for a new one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map(path)

    @classmethod
    def open(cls, path: Path) -> KeyFilter:
        """The filter at ``path``; ``ValueError`` when the file is not one (or of another layout)."""
        return cls(path)

    @classmethod
    def build(cls, path: Path, keys: Iterable[bytes], *, count: int, file_id: bytes, txnid: int) -> KeyFilter:
        """A new filter of ``keys`` (about ``count`` of them) for the LMDB file ``file_id`` at its write
        transaction ``txnid``, put in place of the one at ``path`` (marked replaced for its readers).
        The caller holds the disk file's writer lock."""
        capacity = max(MIN_CAPACITY, HEADROOM * count)
        words = 1 << max(0, (capacity * _BITS_A_KEY // 64 - 1).bit_length())
        table = memoryview(bytearray(8 * (_HEADER + words))).cast("Q")
        table[_MAGIC_AT], table[_WORDS], table[_CAPACITY], table[_TXNID] = _MAGIC, words, capacity, txnid
        table[_ID], table[_ID + 1] = int.from_bytes(file_id[:8], "little"), int.from_bytes(file_id[8:16], "little")
        added = _set_bits(table, words - 1, keys)
        table[_KEYS] = added
        new = path.with_name(f"{path.name}.new")
        try:
            with open(new, "wb") as out:
                out.write(table.cast("B"))
            old = _replaceable(path)
            os.replace(new, path)
        except OSError:
            new.unlink(missing_ok=True)
            raise
        if old is not None:
            old[_REPLACED] = 1
        return cls(path)

    @property
    def file_id(self) -> bytes:
        table = self._mapped[0]
        return table[_ID].to_bytes(8, "little") + table[_ID + 1].to_bytes(8, "little")

    @property
    def txnid(self) -> int:
        """The last write transaction of the LMDB file the filter has seen."""
        return int(self._mapped[0][_TXNID])

    @txnid.setter
    def txnid(self, value: int) -> None:
        self._current()[0][_TXNID] = value

    @property
    def full(self) -> bool:
        """Whether the keys it was built with and those added since pass its capacity (rebuild it)."""
        table = self._current()[0]
        return bool(table[_KEYS] > table[_CAPACITY])

    def might_hold(self, key: str | bytes) -> bool:
        """``False`` when the file surely does not hold ``key``."""
        table, index = self._mapped
        if table[_REPLACED]:
            table, index = self._current()
        h, mask = _bits(key)
        return table[_HEADER + (h & index)] & mask == mask

    def add(self, keys: Iterable[str | bytes]) -> None:
        """Set the bits of ``keys`` (the caller holds the disk file's writer lock)."""
        table, index = self._current()
        table[_KEYS] += _set_bits(table, index, keys)

    def _current(self) -> tuple[memoryview, int]:
        """The mapping and its word index mask, re-made first when another process replaced the file.
        One attribute for both: a lookup in a worker thread never pairs one mapping with another's mask."""
        if self._mapped[0][_REPLACED]:
            self._map(self.path)
        return self._mapped

    def _map(self, path: Path) -> None:
        with open(path, "r+b") as file:
            size = os.fstat(file.fileno()).st_size
            if size < 8 * (_HEADER + 1) or size % 8:
                raise ValueError(f"{path} is not a key filter")
            table = memoryview(mmap.mmap(file.fileno(), size)).cast("Q")
        if table[_MAGIC_AT] != _MAGIC or table[_WORDS] != size // 8 - _HEADER or table[_WORDS] & (table[_WORDS] - 1):
            raise ValueError(f"{path} is not a key filter of this version")
        self._mapped = (table, int(table[_WORDS]) - 1)


def _bits(key: str | bytes) -> tuple[int, int]:
    """``key``'s 64 bits and the mask of its 4 bits in its word (the word: the low bits, masked by the
    table's size). The bits: its last 16 hex digits (a text's digest), mixed (Fibonacci hashing: keys
    that are not digests, like a test's ``…0001``, ``…0002``, still spread), else a hash of it. The one
    place both lookups and writers compute them: a key's bits must be the same for both."""
    try:
        h = int(key[-16:], 16) * _MIX & _BITS64
    except ValueError:
        raw = key.encode("utf-8", "surrogatepass") if isinstance(key, str) else key
        h = int.from_bytes(blake2b(raw, digest_size=8).digest(), "little")
    return h, (1 << (h >> 40 & 63)) | (1 << (h >> 46 & 63)) | (1 << (h >> 52 & 63)) | (1 << (h >> 58 & 63))


def _set_bits(table: memoryview, index: int, keys: Iterable[str | bytes]) -> int:
    """Set each key's bits in ``table``; how many keys."""
    count = 0
    for key in keys:
        h, mask = _bits(key)
        table[_HEADER + (h & index)] |= mask
        count += 1
    return count


def _replaceable(path: Path) -> memoryview | None:
    """A mapping of the filter now at ``path``, to mark it replaced; ``None`` when there is none."""
    try:
        return KeyFilter(path)._mapped[0]
    except (OSError, ValueError):
        return None
