"""The disk tier's records: one cached vector each, appended to a segment file, checked on every read.

A record is a 20-byte header (a CRC-32 of the rest, the key's length, a reserved field, the vector's
length, the expiry in microseconds since the epoch), the key, the vector, and zeros up to a multiple of
8 bytes (so that a record's size fits the index in 8-byte units). The checksum is what makes the files
safe without fsync or locks on the reading side: a record half written when the machine went down, one
being erased while it is read, or a location the index lost track of all fail it and read as a miss.

An erased record (its model removed, :meth:`erased`) keeps its size, so that a scan goes on past it,
with its key and vector zeroed and its expiry 0: never served, skipped by a scan.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from collections.abc import Iterator
from typing import NamedTuple

HEAD = struct.Struct("<IHHIQ")
"""crc32, key length, reserved (0), vector length, expiry (µs since the epoch)."""
ALIGN = 8
_CRC = struct.Struct("<I")
_REST = struct.Struct("<HHIQ")  # the header after its checksum
_PADS = [bytes(-n % ALIGN) for n in range(ALIGN)]
MAX_SIZE = 0xFFFF * ALIGN
"""The largest record the index can locate (its size is 16 bits of 8-byte units): ~512 KB."""


class Record(NamedTuple):
    """One record found by :func:`scan`."""

    offset: int
    size: int
    key: bytes
    value_size: int
    expiry: int


def pack(key: bytes, value: bytes, expiry: int) -> bytes:
    """The record of ``key``'s ``value`` expiring at ``expiry`` (µs), padded to ``ALIGN`` bytes."""
    pad = _PADS[(HEAD.size + len(key) + len(value)) % ALIGN]
    head = _REST.pack(len(key), 0, len(value), expiry)
    crc = zlib.crc32(pad, zlib.crc32(value, zlib.crc32(key, zlib.crc32(head))))
    return b"".join((_CRC.pack(crc), head, key, value, pad))


def erased(record: Record) -> bytes:
    """What an erasure writes over ``record``: a record of its size whose key and vector are zeros and
    that expired at 0."""
    return pack(bytes(len(record.key)), bytes(record.value_size), 0)


def read(raw: bytes, key: bytes, now: int) -> bytes | None:
    """The vector in ``raw`` (a record read from its start, perhaps with more bytes after it) when it is
    whole, ``key``'s and not expired at ``now``; else ``None``."""
    if len(raw) < HEAD.size:
        return None
    crc, key_size, _, value_size, expiry = HEAD.unpack_from(raw)
    end = HEAD.size + key_size + value_size
    if expiry <= now or len(raw) < end or raw[HEAD.size : HEAD.size + key_size] != key:
        return None
    pad = -end % ALIGN
    if zlib.crc32(raw[4 : end + pad]) != crc:
        return None
    return raw[HEAD.size + key_size : end]


def scan(data: bytes | memoryview | mmap.mmap, used: int) -> Iterator[Record]:
    """Every whole record in the first ``used`` bytes of a segment, in the order written, erased ones
    too (expiry 0); stops at the first that is not whole (the tail a machine crash left)."""
    offset = 0
    while offset + HEAD.size <= used:
        crc, key_size, _, value_size, expiry = HEAD.unpack_from(data, offset)
        size = HEAD.size + key_size + value_size
        size += -size % ALIGN
        if offset + size > used or zlib.crc32(data[offset + 4 : offset + size]) != crc:
            return
        key = bytes(data[offset + HEAD.size : offset + HEAD.size + key_size])
        yield Record(offset, size, key, value_size, expiry)
        offset += size


def scan_file(fd: int, used: int | None = None) -> Iterator[Record]:
    """:func:`scan` of the segment file open at ``fd`` (its first ``used`` bytes, or all of it), mapped
    for reading rather than read into memory (a segment may be 256 MiB)."""
    size = os.fstat(fd).st_size if used is None else min(used, os.fstat(fd).st_size)
    if not size:
        return
    with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as data:
        yield from scan(data, size)
