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
_FLOAT32_MAX = 3.4028234663852886e38


def pack(vector: list[float]) -> bytes:
    """``vector`` as one type byte and its values; :func:`unpack` gives back the same floats.

    Example:
        >>> unpack(pack([0.5, -1.25])) == [0.5, -1.25], len(pack([0.5, -1.25]))
        (True, 9)
    """
    import numpy as np

    # One pass over the Python floats (array's C loop), the float32 check and the narrowing in numpy:
    # a value equals its float32 rounding, compared as float64, only when it is a float32.
    wide = np.frombuffer(array("d", vector), dtype=np.float64)
    if not np.abs(wide).max() <= _FLOAT32_MAX:  # inf, NaN or beyond float32: a cast would warn
        narrow_list = array("f", vector)
        return _FLOAT32 + narrow_list.tobytes() if narrow_list.tolist() == vector else _FLOAT64 + wide.tobytes()
    narrow = wide.astype(np.float32)
    if (narrow == wide).all():
        return _FLOAT32 + narrow.tobytes()
    return _FLOAT64 + wide.tobytes()


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
