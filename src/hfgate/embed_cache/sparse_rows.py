"""A sparse vector (``{vocabulary id: weight}``) as bytes and back, bit for bit and in its order: the
ids as int32 (int64 when one does not fit), the weights as :mod:`~hfgate.embed_cache.vectors` packs
a vector (float32 when every weight is one, else float64)."""

from __future__ import annotations

from array import array

from hfgate.embed_cache.vectors import pack, unpack

_INT32, _INT64 = b"i", b"q"
_HEADER = 5  # the ids' type byte and their count (uint32, little-endian)
_INT32_RANGE = range(-(2**31), 2**31)


def pack_sparse(weights: dict[int, float]) -> bytes:
    """``weights`` as bytes :func:`unpack_sparse` turns back into the same dict, in the same order.

    Example:
        >>> unpack_sparse(pack_sparse({2054: 0.5, 7: 1.25})), len(pack_sparse({2054: 0.5, 7: 1.25}))
        ({2054: 0.5, 7: 1.25}, 22)
    """
    ids = list(weights)
    kind = _INT32 if all(i in _INT32_RANGE for i in ids) else _INT64
    return kind + len(ids).to_bytes(4, "little") + array(kind.decode(), ids).tobytes() + pack(list(weights.values()))


def unpack_sparse(data: bytes) -> dict[int, float]:
    """The weights :func:`pack_sparse` packed."""
    ids = array(data[:1].decode())
    count = int.from_bytes(data[1:_HEADER], "little")
    end = _HEADER + count * ids.itemsize
    ids.frombytes(data[_HEADER:end])
    return dict(zip(ids.tolist(), unpack(data[end:]), strict=True))
