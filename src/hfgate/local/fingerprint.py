"""A cheap identity of a model's files, for caches of what is derived from them (ONNX exports)."""

from __future__ import annotations

import hashlib
from pathlib import Path

_WEIGHT_SUFFIXES = frozenset({".safetensors", ".bin"})


def model_fingerprint(model_dir: Path, *, recipe: str) -> str:
    """``<folder name>-<digest>``: changes with the weights, the config and ``recipe`` (what else the derived
    files depend on: the exporter's recipe, a library's version); reads only file sizes and times.

    Example:
        >>> # model_fingerprint(Path("/models/all-MiniLM-L6-v2"), recipe="v2|torch 2.13.0")
        'all-MiniLM-L6-v2-3f2a9c01d4e5b6a7'
    """
    digest = hashlib.sha256(f"{recipe}|{model_dir.resolve()}".encode())
    for path in sorted(model_dir.iterdir()):
        if path.is_file() and (path.suffix in _WEIGHT_SUFFIXES or path.name == "config.json"):
            stat = path.stat()
            digest.update(f"|{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{model_dir.resolve().name}-{digest.hexdigest()[:16]}"
