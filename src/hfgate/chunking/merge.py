"""Cap the chunks of one input at 512 by merging neighbours, as Elasticsearch does.

Elasticsearch's ``EmbeddingRequestChunker`` still embeds every chunk, but when an input has more than
``MAX_CHUNKS`` it files chunk ``i`` of ``n`` under result ``i * MAX_CHUNKS // n``: neighbours share a
result, whose offsets run from the first one's start to the last one's end, and whose float vector is
their weighted average (each side weighted by how many chunks it already holds, which comes to the
plain mean of the group).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

MAX_CHUNKS: Final = 512


def merge_groups(count: int, max_chunks: int = MAX_CHUNKS) -> list[range]:
    """Which of ``count`` chunks share each result: ``count`` ranges of one, or ``max_chunks`` runs.

    Example:
        >>> merge_groups(5, max_chunks=2)
        [range(0, 3), range(3, 5)]
    """
    if count <= max_chunks:
        return [range(i, i + 1) for i in range(count)]
    # The first chunk filed under target t is the smallest i with i * max_chunks // count == t.
    firsts = [-(-t * count // max_chunks) for t in range(max_chunks)]
    return [range(a, b) for a, b in zip(firsts, [*firsts[1:], count], strict=True)]


def _mean(vectors: Sequence[Sequence[float]]) -> list[float]:
    if len(vectors) == 1:
        return list(vectors[0])
    return [sum(column) / len(vectors) for column in zip(*vectors, strict=True)]


def merge_chunks(
    offsets: Sequence[tuple[int, int]],
    embeddings: Sequence[Sequence[float]],
    *,
    max_chunks: int = MAX_CHUNKS,
) -> tuple[list[tuple[int, int]], list[list[float]]]:
    """Merge an input's chunks down to at most ``max_chunks``, averaging their vectors.

    Args:
        offsets: each chunk's ``(start, end)``, in order.
        embeddings: each chunk's vector, in the same order.
        max_chunks: the cap (Elasticsearch: 512).

    Returns:
        The merged offsets and vectors; unchanged (copied) when there are at most ``max_chunks``.

    Raises:
        ValueError: when ``offsets`` and ``embeddings`` differ in length, or ``max_chunks < 1``.

    Example:
        >>> merge_chunks([(0, 2), (2, 4), (4, 6)], [[1.0], [3.0], [8.0]], max_chunks=2)
        ([(0, 4), (4, 6)], [[2.0], [8.0]])
    """
    if len(offsets) != len(embeddings):
        raise ValueError(f"{len(offsets)} offsets but {len(embeddings)} embeddings")
    if max_chunks < 1:
        raise ValueError(f"max_chunks must be at least 1, not {max_chunks}")
    groups = merge_groups(len(offsets), max_chunks)
    merged_offsets = [(offsets[g.start][0], offsets[g.stop - 1][1]) for g in groups]
    merged_vectors = [_mean([embeddings[i] for i in g]) for g in groups]
    return merged_offsets, merged_vectors
