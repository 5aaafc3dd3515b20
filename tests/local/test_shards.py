"""Row shards of a forward pass: every row computed once, in its own shard's width, back in order."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hfgate.local.embedding.shards import Shards, split_rows
from hfgate.local.embedding.tokens import TokenBatch


def _batch(lengths: list[int]) -> TokenBatch:
    width = max(lengths)
    ids = np.zeros((len(lengths), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n], mask[row, :n] = np.arange(1, n + 1) + 1000 * row, 1
    return TokenBatch(input_ids=ids, attention_mask=mask, token_type_ids=np.zeros_like(ids))


def _row_ids_and_width(batch: TokenBatch) -> NDArray[np.float32]:
    """Each row's first id (which row it was) and the width of the batch it was computed in."""
    width = np.full(len(batch.input_ids), batch.input_ids.shape[1])
    return np.stack([batch.input_ids[:, 0], width], axis=1).astype(np.float32)


def test_split_rows_puts_every_row_in_one_group_of_similar_lengths() -> None:
    lengths = np.array([30, 5, 12, 12, 7, 29, 5, 18])
    groups = split_rows(lengths, 2)
    assert sorted(int(i) for g in groups for i in g) == list(range(len(lengths)))
    assert len(groups) == 2
    assert max(lengths[groups[0]]) <= min(lengths[groups[1]]), "short rows together, long rows together"


def test_split_rows_keeps_a_lone_row_whole() -> None:
    assert [g.tolist() for g in split_rows(np.array([40]), 4)] == [[0]]


def test_sharded_results_come_back_in_the_batch_order_each_cut_to_its_shard() -> None:
    shards = Shards(2)
    try:
        lengths = [9, 2, 3, 8, 2]
        got = shards.run(_row_ids_and_width, _batch(lengths))
    finally:
        shards.close()
    assert got[:, 0].tolist() == [1.0 + 1000 * row for row in range(len(lengths))]
    assert got[:, 1].tolist() == [9, 3, 3, 9, 3], "the short rows' shard is padded to 3, not 9"


def test_one_shard_runs_the_batch_whole() -> None:
    shards = Shards(1)
    got = shards.run(_row_ids_and_width, _batch([9, 2, 3]))
    assert got[:, 1].tolist() == [9, 9, 9]
