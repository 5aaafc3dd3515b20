"""``/v1/rerank``, ``/rerank`` and ``/v2/rerank`` in Cohere's and Jina's shape, on a local rerank endpoint (a
tiny cross-encoder built for the session), over httpx: scores equal sentence-transformers', best first,
``top_n`` and ``return_documents`` honoured, documents as strings or ``{"text"}`` objects, the embedding cache
in front as on every face, and each wrong request a 4xx naming its field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.local.tiny_encoders import DOCUMENTS, QUERY, TinyEncoders, tiny_api, tiny_context, tiny_encoders

__all__ = ["tiny_api", "tiny_context", "tiny_encoders"]


@pytest.fixture
def api(tiny_api: httpx.AsyncClient) -> httpx.AsyncClient:
    return tiny_api


def st_scores(path: Path) -> list[float]:
    from sentence_transformers import CrossEncoder

    return [float(s) for s in CrossEncoder(str(path), local_files_only=True).predict([(QUERY, d) for d in DOCUMENTS])]


@pytest.mark.parametrize("path", ["/v1/rerank", "/rerank", "/v2/rerank"])
async def test_rerank_answers_in_cohere_and_jina_s_shape_best_first(
    api: httpx.AsyncClient, tiny_encoders: TinyEncoders, path: str
) -> None:
    expected = st_scores(tiny_encoders.cross_encoder)
    answer = await api.post(path, json={"model": "ce", "query": QUERY, "documents": list(DOCUMENTS)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == "ce"
    assert body["id"].startswith("rerank-")
    assert body["meta"]["api_version"] == {"version": "2"}
    assert isinstance(body["usage"]["total_tokens"], int)
    results = body["results"]
    assert [r["index"] for r in results] == sorted(range(len(expected)), key=lambda i: -expected[i])
    assert all(abs(r["relevance_score"] - expected[r["index"]]) <= 1e-4 for r in results)
    assert [r["document"] for r in results] == [{"text": DOCUMENTS[r["index"]]} for r in results]


async def test_top_n_return_documents_and_text_objects(api: httpx.AsyncClient, tiny_encoders: TinyEncoders) -> None:
    expected = st_scores(tiny_encoders.cross_encoder)
    documents: list[Any] = [{"text": d} for d in DOCUMENTS]
    body = {"model": "ce", "query": QUERY, "documents": documents, "top_n": 2, "return_documents": False}
    answer = await api.post("/v1/rerank", json=body)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == sorted(range(len(expected)), key=lambda i: -expected[i])[:2]
    assert all("document" not in r for r in results)


async def test_a_repeated_rerank_is_served_from_the_cache(api: httpx.AsyncClient) -> None:
    body = {"model": "ce", "query": QUERY, "documents": list(DOCUMENTS)}
    first, second = await api.post("/v1/rerank", json=body), await api.post("/rerank", json=body)
    assert (first.headers["x-hfgate-cache"], second.headers["x-hfgate-cache"]) == ("miss", "hit")
    assert first.json()["results"] == second.json()["results"]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "nope", "query": QUERY, "documents": ["a"]}, 404, "model_not_found"),
        ({"model": "splade", "query": QUERY, "documents": ["a"]}, 400, "model"),
        ({"query": QUERY, "documents": ["a"]}, 400, "model"),
        ({"model": "ce", "documents": ["a"]}, 400, "query"),
        ({"model": "ce", "query": "", "documents": ["a"]}, 400, "query"),
        ({"model": "ce", "query": QUERY, "documents": []}, 400, "documents"),
        ({"model": "ce", "query": QUERY}, 400, "documents"),
        ({"model": "ce", "query": QUERY, "documents": ["a", 3]}, 400, "documents[1]"),
        ({"model": "ce", "query": QUERY, "documents": ["a"], "top_n": 0}, 400, "top_n"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/rerank", "/v2/rerank"])
async def test_a_wrong_request_is_a_4xx_in_openai_s_shape_naming_the_field(
    api: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, param: str
) -> None:
    answer = await api.post(path, json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert param in (error["param"], error["code"])
    assert error["message"]
