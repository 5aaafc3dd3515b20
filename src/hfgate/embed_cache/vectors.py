"""A vector as bytes and back, bit for bit: float32 when every value is one (what models compute),
else float64 (a remote server's JSON may hold values float32 cannot carry)."""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_FLOAT32 = b"f"
_FLOAT64 = WIDE = b"d"  # WIDE: the type byte of a float64 vector


def pack(vector: list[float]) -> bytes:
    """``vector`` as one type byte and its values; :func:`unpack` gives back the same floats.

    Example:
        >>> unpack(pack([0.5, -1.25])) == [0.5, -1.25], len(pack([0.5, -1.25]))
        (True, 9)
    """
    narrow = array("f", vector)
    if narrow.tolist() == vector:
        return _FLOAT32 + narrow.tobytes()
    return pack_wide(vector)


def pack_wide(vector: list[float]) -> bytes:
    """``vector`` as float64, without checking whether float32 would do: for the vectors of a server
    whose vectors were not float32 before (its JSON's decimals), one pass instead of three.

    Example:
        >>> unpack(pack_wide([0.1])) == [0.1], len(pack_wide([0.1]))
        (True, 9)
    """
    return _FLOAT64 + array("d", vector).tobytes()


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
    import numpy as np

    if data[:1] == _FLOAT32:
        return np.frombuffer(data, dtype=np.float32, offset=1)
    return np.frombuffer(data, dtype=np.float64, offset=1)
