"""Local rerankers and SPLADE models through every face, with the embedding cache on: Elasticsearch's
``_inference/rerank`` and ``sparse_embedding``, the bodies Elasticsearch's own ``hugging_face`` service
sends to a url (rerank and ELSER-shaped sparse), TEI's ``/rerank`` and ``/embed_sparse``. Answers equal
sentence-transformers' on the same files; a model of another kind is refused at create, naming the setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.local.tiny_encoders import DOCUMENTS, QUERY, TEXTS, TinyEncoders, tiny_api, tiny_context, tiny_encoders

__all__ = ["tiny_api", "tiny_context", "tiny_encoders"]

RERANK = "/_inference/rerank/ce"
SPARSE = "/_inference/sparse_embedding/splade"


@pytest.fixture
def api(tiny_api: httpx.AsyncClient) -> httpx.AsyncClient:
    return tiny_api


def st_scores(path: Path) -> list[float]:
    from sentence_transformers import CrossEncoder

    return [float(s) for s in CrossEncoder(str(path), local_files_only=True).predict([(QUERY, d) for d in DOCUMENTS])]


def st_sparse(path: Path) -> list[dict[int, float]]:
    from sentence_transformers import SparseEncoder

    dense = SparseEncoder(str(path), local_files_only=True).encode(list(TEXTS), convert_to_tensor=True).to_dense()
    return [{int(i): float(row[i]) for i in row.nonzero().squeeze(-1)} for row in dense]


def best_first(scores: list[float]) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: -scores[i])


async def test_es_rerank_ranks_as_sentence_transformers_with_top_n_and_documents(
    api: httpx.AsyncClient, tiny_encoders: TinyEncoders
) -> None:
    expected = st_scores(tiny_encoders.cross_encoder)
    body = {"query": QUERY, "input": list(DOCUMENTS), "top_n": 3, "return_documents": True}
    answer = await api.post(RERANK, json=body)
    assert answer.status_code == 200, answer.text
    hits = answer.json()["rerank"]
    assert [h["index"] for h in hits] == best_first(expected)[:3]
    assert all(abs(h["relevance_score"] - expected[h["index"]]) <= 1e-4 for h in hits)
    assert [h["text"] for h in hits] == [DOCUMENTS[h["index"]] for h in hits]


async def test_a_repeated_rerank_is_served_from_the_cache_with_the_same_answer(api: httpx.AsyncClient) -> None:
    body = {"query": QUERY, "input": list(DOCUMENTS)}
    first, second = await api.post(RERANK, json=body), await api.post(RERANK, json=body)
    assert (first.headers["x-hfgate-cache"], second.headers["x-hfgate-cache"]) == ("miss", "hit")
    assert first.json() == second.json()


async def test_the_bodies_of_elasticsearchs_hugging_face_rerank_and_teis_rerank(
    api: httpx.AsyncClient, tiny_encoders: TinyEncoders
) -> None:
    expected = st_scores(tiny_encoders.cross_encoder)
    es_sends = {"texts": list(DOCUMENTS), "query": QUERY, "return_text": True, "top_n": 2}
    hosted = await api.post("/hf/ce", json=es_sends)
    tei = await api.post("/hf/ce/rerank", json={"query": QUERY, "texts": list(DOCUMENTS)})
    assert (hosted.status_code, tei.status_code) == (200, 200), hosted.text + tei.text
    for hits in (hosted.json(), tei.json()):
        assert [h["index"] for h in hits] == best_first(expected)  # ES applies top_n itself; TEI has none
        assert all(abs(h["score"] - expected[h["index"]]) <= 1e-4 for h in hits)
    assert hosted.json()[0]["text"] == DOCUMENTS[best_first(expected)[0]]
    assert "text" not in tei.json()[0] or tei.json()[0]["text"] is None


async def test_es_sparse_embedding_gives_sentence_transformers_weights_by_token(
    api: httpx.AsyncClient, tiny_encoders: TinyEncoders
) -> None:
    from transformers import AutoTokenizer

    vocabulary = AutoTokenizer.from_pretrained(str(tiny_encoders.splade))
    answer = await api.post(SPARSE, json={"input": list(TEXTS)})
    assert answer.status_code == 200, answer.text
    for item, expected in zip(answer.json()["sparse_embedding"], st_sparse(tiny_encoders.splade), strict=True):
        named = dict(zip(vocabulary.convert_ids_to_tokens(list(expected)), expected.values(), strict=True))
        assert set(item["embedding"]) == set(named)
        assert all(abs(item["embedding"][t] - w) <= 1e-4 * w for t, w in named.items())


async def test_teis_embed_sparse_and_elasticsearchs_hugging_face_sparse_body(
    api: httpx.AsyncClient, tiny_encoders: TinyEncoders
) -> None:
    expected = st_sparse(tiny_encoders.splade)
    tei = await api.post("/hf/splade/embed_sparse", json={"inputs": list(TEXTS)})
    hosted = await api.post("/hf/splade", json={"inputs": list(TEXTS)})  # ES's ELSER-shaped hugging_face call
    es = await api.post(SPARSE, json={"input": list(TEXTS)})
    assert (tei.status_code, hosted.status_code) == (200, 200), tei.text + hosted.text
    for values, weights in zip(tei.json(), expected, strict=True):
        assert [v["index"] for v in values] == sorted(weights)
        assert all(abs(v["value"] - weights[v["index"]]) <= 1e-4 * weights[v["index"]] for v in values)
    assert hosted.json() == [item["embedding"] for item in es.json()["sparse_embedding"]]


async def test_a_repeated_sparse_request_is_served_from_the_cache_bit_for_bit(api: httpx.AsyncClient) -> None:
    body = {"input": list(TEXTS)}
    first, second = await api.post(SPARSE, json=body), await api.post(SPARSE, json=body)
    assert (first.headers["x-hfgate-cache"], second.headers["x-hfgate-cache"]) == ("miss", "hit")
    assert first.content == second.content


async def test_create_records_what_the_rerank_scores_are(api: httpx.AsyncClient) -> None:
    described = (await api.get(RERANK)).json()["endpoints"][0]
    assert described["service_settings"]["score_activation"] == "sigmoid"


@pytest.mark.parametrize(
    ("task", "which", "said"),
    [
        (
            "text_embedding",
            "cross_encoder",
            "is a cross-encoder (reranker), which serves task type [rerank, text-classification]",
        ),
        ("rerank", "splade", "is a sparse (SPLADE) encoder, which serves task type [fill-mask, sparse_embedding]"),
        ("sparse_embedding", "cross_encoder", "not [sparse_embedding]"),
        ("completion", "splade", "is a sparse (SPLADE) encoder"),
    ],
)
async def test_a_model_of_another_kind_is_refused_at_create_naming_the_setting(
    api: httpx.AsyncClient, tiny_encoders: TinyEncoders, task: str, which: str, said: str
) -> None:
    body: dict[str, Any] = {"service": "local", "service_settings": {"model": str(getattr(tiny_encoders, which))}}
    refused = await api.put(f"/_inference/{task}/wrong", json=body)
    assert refused.status_code == 400, refused.text
    reason = refused.json()["error"]["reason"]
    assert "[service_settings.model]" in reason
    assert said in reason


async def test_a_sentence_embedder_is_refused_for_rerank(api: httpx.AsyncClient) -> None:
    body = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
    refused = await api.put("/_inference/rerank/minilm", json=body)
    assert refused.status_code == 400
    reason = refused.json()["error"]["reason"]
    assert "is a sentence embedding model, which serves task type [sentence-similarity, text_embedding]" in reason


async def test_a_loaded_local_model_shows_its_device_in_hf_info_and_in_the_endpoint(api: httpx.AsyncClient) -> None:
    from hfgate.local.device import resolve_device

    device = resolve_device("auto")  # the settings' default: the first GPU where torch sees one, else the CPU
    assert (await api.post("/hf/ce/rerank", json={"query": QUERY, "texts": ["a"]})).status_code == 200
    assert (await api.get("/hf/ce/info")).json()["model_device_type"] == device
    shown = (await api.get("/_inference/rerank/ce")).json()["endpoints"][0]["service_settings"]
    assert shown["device"] == device
