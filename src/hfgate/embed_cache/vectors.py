"""A vector as bytes and back, bit for bit: float32 when every value is one (what models compute),
else float64 (a remote server's JSON may hold values float32 cannot carry)."""

from __future__ import annotations

import struct
from array import array

import numpy as np
from numpy.typing import NDArray

_FLOAT32 = b"f"
_FLOAT64 = WIDE = b"d"  # WIDE: the type byte of a float64 vector
# Packers by (type, length): ``struct`` packs a list of Python floats in one C loop, 2-3 times faster
# than ``array(type, list)``. Native byte order and standard sizes, as ``array`` lays them out.
_PACKERS: dict[tuple[str, int], struct.Struct] = {}


def pack(vector: list[float]) -> bytes:
    """``vector`` as one type byte and its values; :func:`unpack` gives back the same floats.

    Example:
        >>> unpack(pack([0.5, -1.25])) == [0.5, -1.25], len(pack([0.5, -1.25]))
        (True, 9)
    """
    wide = _packer("d", len(vector)).pack(*vector)
    try:
        narrow = _packer("f", len(vector)).pack(*vector)  # each value rounded to float32
    except OverflowError:  # a value beyond float32's range
        return _FLOAT64 + wide
    # float32 when the rounding changed no bit: the narrow values widened are the very same float64s
    if np.frombuffer(narrow, dtype=np.float32).astype(np.float64).tobytes() == wide:
        return _FLOAT32 + narrow
    return _FLOAT64 + wide


def pack_float32(row: NDArray[np.float32]) -> bytes:
    """A float32 row (a local model's vector) as :func:`pack` packs the same values given as Python floats,
    without making them.

    Example:
        >>> pack_float32(np.array([0.5, -1.25], dtype=np.float32)) == pack([0.5, -1.25])
        True
    """
    return _FLOAT32 + row.astype("=f4", copy=False).tobytes()


def pack_wide(vector: list[float]) -> bytes:
    """``vector`` as float64, without checking whether float32 would do: for the vectors of a server
    whose vectors were not float32 before (its JSON's decimals), one pass instead of three.

    Example:
        >>> unpack(pack_wide([0.1])) == [0.1], len(pack_wide([0.1]))
        (True, 9)
    """
    return _FLOAT64 + _packer("d", len(vector)).pack(*vector)


def unpack(data: bytes) -> list[float]:
    """The floats :func:`pack` packed."""
    values = array("f") if data[:1] == _FLOAT32 else array("d")
    values.frombytes(data[1:])
    return values.tolist()


def as_array(data: bytes) -> NDArray[np.float32] | NDArray[np.float64]:
    """The vector :func:`pack` packed as a numpy view of ``data`` (no copy, no Python float per value):
    float32 when it holds float32 values (what models compute), else float64.

    Example:
        >>> as_array(pack([0.5, -1.25])).tolist(), str(as_array(pack([0.1])).dtype)
        ([0.5, -1.25], 'float64')
    """
    if data[:1] == _FLOAT32:
        return np.frombuffer(data, dtype=np.float32, offset=1)
    return np.frombuffer(data, dtype=np.float64, offset=1)


def _packer(kind: str, length: int) -> struct.Struct:
    packer = _PACKERS.get((kind, length))
    if packer is None:
        packer = _PACKERS[kind, length] = struct.Struct(f"={length}{kind}")
    return packer
