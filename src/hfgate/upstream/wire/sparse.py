"""Sparse embeddings over TEI's ``/embed_sparse`` (SPLADE models).

The body is ``{"inputs": [...], "truncate": true}``; the answer lists, per input, the non-zero entries
``[{"index": vocabulary id, "value": weight}]`` (TEI ``router/src/http/types.rs``, ``SparseValue``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.upstream.wire.common import WireFormatError, as_dict


def sparse_payload(texts: Sequence[str]) -> dict[str, Any]:
    """TEI's body; long inputs are truncated to the model's window rather than refused."""
    return {"inputs": list(texts), "truncate": True}


def parse_sparse(body: Any, *, count: int) -> list[dict[int, float]]:
    """One ``{token id: weight}`` map per input.

    Raises:
        WireFormatError: not a list of ``count`` lists of ``{index, value}``.

    Example:
        >>> parse_sparse([[{"index": 2054, "value": 1.5}]], count=1)
        [{2054: 1.5}]
    """
    if not isinstance(body, list) or len(body) != count:
        raise WireFormatError(f"expected [{count}] sparse embeddings")
    return [_one(row) for row in body]


def _one(row: Any) -> dict[int, float]:
    if not isinstance(row, list):
        raise WireFormatError("a sparse embedding is not a list of {index, value}")
    weights: dict[int, float] = {}
    for item in row:
        entry = as_dict(item, "a sparse entry")
        index, value = entry.get("index"), entry.get("value")
        if not isinstance(index, int) or not isinstance(value, int | float):
            raise WireFormatError("a sparse entry lacks an integer [index] or a numeric [value]")
        weights[index] = float(value)
    return weights
