"""Beyond 512 chunks per input, neighbours are merged as Elasticsearch's EmbeddingRequestChunker does."""

from __future__ import annotations

import pytest

from hfgate.chunking import MAX_CHUNKS, merge_chunks
from hfgate.chunking.merge import merge_groups


def test_up_to_512_chunks_are_returned_unchanged() -> None:
    offsets = [(i, i + 1) for i in range(MAX_CHUNKS)]
    vectors = [[float(i)] for i in range(MAX_CHUNKS)]
    assert merge_chunks(offsets, vectors) == (offsets, vectors)


@pytest.mark.parametrize("count", [513, 700, 1024, 1025, 5000])
def test_chunk_i_of_n_lands_in_result_i_times_512_over_n(count: int) -> None:
    groups = merge_groups(count)
    assert len(groups) == MAX_CHUNKS
    landed = {i: target for target, group in enumerate(groups) for i in group}
    assert landed == {i: i * MAX_CHUNKS // count for i in range(count)}


def test_merged_offsets_span_their_group_and_vectors_are_the_weighted_average() -> None:
    count = 1025
    offsets = [(10 * i, 10 * i + 12) for i in range(count)]
    vectors = [[float(i), 1.0] for i in range(count)]
    merged_offsets, merged_vectors = merge_chunks(offsets, vectors)
    assert len(merged_offsets) == len(merged_vectors) == MAX_CHUNKS
    # 1025 = 512 * 2 + 1: the first result takes chunks 0, 1 and 2; every other takes two.
    assert merged_offsets[0] == (0, 32)
    assert merged_vectors[0] == [1.0, 1.0]
    assert merged_offsets[1] == (30, 52)
    assert merged_vectors[1] == [3.5, 1.0]
    assert merged_offsets[-1] == (10230, 10252)


def test_weights_are_the_number_of_chunks_merged_so_the_result_is_the_group_mean() -> None:
    offsets, vectors = merge_chunks([(0, 1), (1, 2), (2, 3)], [[0.0], [3.0], [9.0]], max_chunks=2)
    assert offsets == [(0, 2), (2, 3)]
    assert vectors == [[1.5], [9.0]]


def test_mismatched_offsets_and_vectors_are_refused() -> None:
    with pytest.raises(ValueError, match="2 offsets but 1 embeddings"):
        merge_chunks([(0, 1), (1, 2)], [[0.0]])
