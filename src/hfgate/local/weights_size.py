"""How big a model's weights are before loading them: read from the safetensors headers on disk.

A safetensors file starts with the length of a JSON header that lists every tensor's dtype and shape,
so the parameter count is known exactly without reading the weights; a checkpoint in another format
(``pytorch_model.bin``) counts by its file size, as if it were float32.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

FLOAT32_BYTES = 4
_HEADER_LIMIT = 100 << 20  # a header is a few KiB to MiB; more means the file is not safetensors


def float32_bytes(model_dir: Path) -> int:
    """Bytes the weights under ``model_dir`` take in float32 (Dense layers in sub-folders included).

    Example:
        >>> float32_bytes(resolve_model("all-MiniLM-L6-v2").path) // (1 << 20)
        86
    """
    tensors = sorted(model_dir.rglob("*.safetensors"))
    if tensors:
        return sum(parameter_count(path) for path in tensors) * FLOAT32_BYTES
    return sum(path.stat().st_size for path in model_dir.rglob("*.bin"))


def parameter_count(path: Path) -> int:
    """The numbers stored in one safetensors file, from its header.

    Raises:
        ValueError: the file is not safetensors.
    """
    with path.open("rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        if length > _HEADER_LIMIT:
            raise ValueError(f"[{path}] is not a safetensors file (header of {length} bytes)")
        header = json.loads(file.read(length))
    return sum(math.prod(entry["shape"]) for name, entry in header.items() if name != "__metadata__")
