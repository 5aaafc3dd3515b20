"""Sparse vectors pack to bytes and back bit for bit and in order; rerank pairs and sparse vectors have
keys of their own, never a dense vector's."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfgate.embed_cache.key import VectorSpace, model_prefix, text_keys
from hfgate.embed_cache.sparse_rows import pack_sparse, unpack_sparse
from hfgate.orchestrator.cache.rerank import pair_keys
from hfgate.services.hugging_face.identity import vector_model_of
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import RerankRequest, RerankScores, TaskType
from hfgate.upstream.wire.common import WireFormatError
from hfgate.upstream.wire.rerank import by_document

WEIGHTS = st.dictionaries(st.integers(min_value=0, max_value=250_000), st.floats(allow_nan=False), max_size=64)


@given(WEIGHTS)
def test_a_sparse_vector_comes_back_bit_for_bit_in_its_order(weights: dict[int, float]) -> None:
    back = unpack_sparse(pack_sparse(weights))
    assert list(back) == list(weights)
    assert [struct.pack("<d", w) for w in back.values()] == [struct.pack("<d", w) for w in weights.values()]


def test_float32_weights_take_four_bytes_and_ids_four_and_a_json_decimal_keeps_its_value() -> None:
    assert len(pack_sparse({2054: 0.5, 7: 1.25})) == 5 + 2 * 4 + 1 + 2 * 4
    assert len(pack_sparse({2054: 0.3})) == 5 + 4 + 1 + 8
    assert unpack_sparse(pack_sparse({2054: 0.3})) == {2054: 0.3}


def test_ids_past_int32_and_an_empty_vector_come_back() -> None:
    assert unpack_sparse(pack_sparse({2**40: 1.0, -3: 2.0})) == {2**40: 1.0, -3: 2.0}
    assert unpack_sparse(pack_sparse({})) == {}


def test_a_pairs_key_depends_on_the_query_the_document_and_the_model_and_holds_no_text() -> None:
    space = VectorSpace(model="hf-rerank|x")
    (key,) = pair_keys(space, "a secret query", ["a secret document"])
    assert "secret" not in key
    assert key.startswith(model_prefix("hf-rerank|x") + ":")
    others = [
        pair_keys(space, "another query", ["a secret document"])[0],
        pair_keys(space, "a secret query", ["another document"])[0],
        pair_keys(VectorSpace(model="hf-rerank|y"), "a secret query", ["a secret document"])[0],
        # the query and the document are told apart: swapping them, or moving text across, changes the key
        pair_keys(space, "a secret document", ["a secret query"])[0],
        pair_keys(space, "a secret query a", ["secret document"])[0],
    ]
    assert len({key, *others}) == 6


def test_a_dense_a_sparse_and_a_rerank_endpoint_on_one_server_are_three_models_to_the_cache() -> None:
    settings = HfSettings.of({"url": "http://tei:80", "engine": "tei"})
    models = [vector_model_of(settings, task) for task in _CACHED]
    assert None not in models
    assert len({model_prefix(m or "") for m in models}) == 3
    dense, sparse, _ = models
    assert text_keys(VectorSpace(model=dense or ""), ["t"]) != text_keys(VectorSpace(model=sparse or ""), ["t"])
    assert vector_model_of(settings, TaskType.COMPLETION) is None


def test_a_rerank_answer_scoring_a_document_twice_or_one_not_sent_is_refused() -> None:
    assert by_document([(1, 0.5), (0, 0.25)], count=2) == {1: 0.5, 0: 0.25}
    for pairs in ([(0, 0.5), (0, 0.25)], [(2, 0.5)], [(-1, 0.5)]):
        with pytest.raises(WireFormatError, match="outside the \\[2\\] documents sent or repeated"):
            by_document(pairs, count=2)


_CACHED = (TaskType.TEXT_EMBEDDING, TaskType.SPARSE_EMBEDDING, TaskType.RERANK)


def test_a_ranking_depends_on_the_scores_alone_not_on_the_order_they_came_in() -> None:
    request = RerankRequest(query="q", documents=("a", "b", "c", "d"), return_documents=False)
    upstream_order = RerankScores(scores={3: 0.5, 2: 0.9, 1: 0.5, 0: 0.5})
    cached_first = RerankScores(scores={0: 0.5, 1: 0.5, 2: 0.9, 3: 0.5})
    for top_n in (None, 2):
        one, other = upstream_order.ranked(request, top_n=top_n), cached_first.ranked(request, top_n=top_n)
        assert one == other
    assert [hit.index for hit in upstream_order.ranked(request, top_n=None).hits] == [2, 0, 1, 3]
