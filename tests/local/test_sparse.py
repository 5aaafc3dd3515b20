"""A local SPLADE model gives sentence-transformers' SparseEncoder vectors on the same files: the same
non-zero tokens, the same weights (log(1 + relu(logits)) pooled over the masked tokens)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.local.cache import Compute
from hfgate.local.sparse import SpladeEncoder
from tests.local.tiny_encoders import TEXTS, TinyEncoders, tiny_encoders

__all__ = ["tiny_encoders"]


def reference(path: Path) -> list[dict[int, float]]:
    from sentence_transformers import SparseEncoder

    dense = SparseEncoder(str(path), local_files_only=True).encode(list(TEXTS), convert_to_tensor=True).to_dense()
    return [{int(i): float(row[i]) for i in row.nonzero().squeeze(-1)} for row in dense]


async def encoded(path: Path) -> tuple[list[dict[int, float]], SpladeEncoder]:
    encoder = SpladeEncoder(path, compute=Compute(), name=path.name)
    try:
        return (await encoder.encode(TEXTS)).weights, encoder
    finally:
        encoder.close()


@pytest.mark.parametrize("which", ["splade", "plain_mlm", "sum_splade"])
async def test_weights_equal_sentence_transformers_sparse_encoder(tiny_encoders: TinyEncoders, which: str) -> None:
    path = getattr(tiny_encoders, which)
    local, _ = await encoded(path)
    for mine, theirs in zip(local, reference(path), strict=True):
        assert set(mine) == set(theirs)
        assert 0 < len(mine) < 30522 // 2  # sparse: the tiny model's bias keeps most weights at zero
        assert all(abs(mine[i] - w) <= 1e-4 * abs(w) for i, w in theirs.items())


async def test_the_pooling_is_read_from_the_saved_splade_pooling_module(tiny_encoders: TinyEncoders) -> None:
    _, default = await encoded(tiny_encoders.plain_mlm)
    _, summed = await encoded(tiny_encoders.sum_splade)
    assert (default.config.pooling, default.config.activation) == ("max", "relu")
    assert (summed.config.pooling, summed.config.activation) == ("sum", "log1p_relu")


async def test_ids_are_named_by_the_vocabulary_entries(tiny_encoders: TinyEncoders) -> None:
    from transformers import AutoTokenizer

    weights, encoder = await encoded(tiny_encoders.splade)
    vocabulary = AutoTokenizer.from_pretrained(str(tiny_encoders.splade))
    names = encoder.names(weights[1])
    assert names == dict(zip(vocabulary.convert_ids_to_tokens(list(weights[1])), weights[1].values(), strict=True))
