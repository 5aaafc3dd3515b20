"""A cheap identity of a model's files, for what is derived from them and cached (ONNX exports, engine
choices): it changes when the weights or the config change, and reads only file sizes and times."""

from __future__ import annotations

import hashlib
from pathlib import Path

_WEIGHT_SUFFIXES = frozenset({".safetensors", ".bin"})


def files_digest(path: Path, *, key: str) -> str:
    """16 hex digits of ``key`` and the names, sizes and modification times of the model's weights and
    config — ``path`` is the model's directory, or its one file (a GGUF)."""
    digest = hashlib.sha256(key.encode())
    files = [path] if path.is_file() else sorted(path.iterdir())
    for file in files:
        if file == path or (file.is_file() and (file.suffix in _WEIGHT_SUFFIXES or file.name == "config.json")):
            stat = file.stat()
            digest.update(f"|{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def model_fingerprint(model_dir: Path, *, recipe: str) -> str:
    """``<folder name>-<digest>``: changes with the weights, the config and ``recipe`` (what else the derived
    files depend on: the exporter's recipe, a library's version).

    Example:
        >>> # model_fingerprint(Path("/models/all-MiniLM-L6-v2"), recipe="v2|torch 2.13.0")
        'all-MiniLM-L6-v2-3f2a9c01d4e5b6a7'
    """
    return f"{model_dir.resolve().name}-{files_digest(model_dir, key=f'{recipe}|{model_dir.resolve()}')}"
