"""A vector as bytes and back, bit for bit: float32 when every value is one (what models compute),
else float64 (a remote server's JSON may hold values float32 cannot carry)."""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_FLOAT32 = b"f"
_FLOAT64 = b"d"


def pack(vector: list[float]) -> bytes:
    """``vector`` as one type byte and its values; :func:`unpack` gives back the same floats.

    Example:
        >>> unpack(pack([0.5, -1.25])) == [0.5, -1.25], len(pack([0.5, -1.25]))
        (True, 9)
    """
    narrow = array("f", vector)
    if narrow.tolist() == vector:
        return _FLOAT32 + narrow.tobytes()
    return _FLOAT64 + array("d", vector).tobytes()


def unpack(data: bytes) -> list[float]:
    """The floats :func:`pack` packed."""
    values = array("f") if data[:1] == _FLOAT32 else array("d")
    values.frombytes(data[1:])
    return values.tolist()


def as_float32(data: bytes) -> NDArray[np.float32]:
    """The vector :func:`pack` packed as a float32 array, without a Python float per value: a view of
    ``data`` when it holds float32 values (what models compute), a rounded copy for float64 ones.

    Example:
        >>> as_float32(pack([0.5, -1.25])).tolist()
        [0.5, -1.25]
    """
    import numpy as np

    if data[:1] == _FLOAT32:
        return np.frombuffer(data, dtype=np.float32, offset=1)
    return np.frombuffer(data, dtype=np.float64, offset=1).astype(np.float32)
