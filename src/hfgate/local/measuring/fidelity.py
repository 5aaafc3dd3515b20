"""How faithful a candidate engine is to the exact reference: the worst cosine between matching vectors
(an embedding's vector per text, a next-token logit vector per prompt and step), in float64 so that
rounding in the comparison itself never reads as an engine's error."""

from __future__ import annotations

from typing import Any


def worst_cosine(got: Any, want: Any) -> float:
    """The lowest cosine between matching vectors (the last axis) of two arrays of the same shape."""
    import numpy as np

    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    dots = (got * want).sum(axis=-1)
    norms = np.linalg.norm(got, axis=-1) * np.linalg.norm(want, axis=-1)
    return float((dots / np.maximum(norms, 1e-12)).min())
