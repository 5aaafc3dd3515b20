"""Rerank scores are cached per (query, document) pair: a request partly cached sends only its other
documents upstream, in one call, and its answer is the fresh one byte for byte (order, ties, ``top_n``,
texts) on every face and every reranking upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import app_client
from tests.embed_cache.conftest import cache_settings
from tests.fakes.hf_server import TOKEN, FakeHF

# Where each reranking upstream of the fake lives, and the route its scores are asked on.
UPSTREAMS: dict[str, tuple[dict[str, str], str]] = {
    "tei": ({"url": "/tei-rerank"}, "/tei-rerank/rerank"),
    "vllm": ({"url": "/vllm-rerank"}, "/vllm-rerank/rerank"),
    "hosted": ({"model_id": "sentence-transformers/all-MiniLM-L6-v2"}, "/hf-inference/models/"),
}
QUERY = "big cat"
# The fake scores shared words over length: "big cat" and "cat big" tie, so do "dog" and "fish".
WARM = ["dog", "big cat"]
MIXED = ["fish", "cat big", "dog", "big cat", "a cat", "dog"]


def rerank_body(settings: dict[str, str], base: str) -> dict[str, Any]:
    given = {k: f"{base}{v}" if k == "url" else v for k, v in settings.items()}
    return {"service": "hugging_face", "service_settings": {"api_key": TOKEN, **given}}


@pytest.fixture
async def api(fake_hf: FakeHF, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the cache on and one rerank endpoint per upstream, named after it."""
    async with app_client(cache_settings(fake_hf.base, tmp_path / "data")) as http:
        for name, (settings, _) in UPSTREAMS.items():
            made = await http.put(f"/_inference/rerank/{name}", json=rerank_body(settings, fake_hf.base))
            assert made.status_code == 200, made.text
        fake_hf.reset()
        yield http


def _faces(name: str, documents: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "elasticsearch": (f"/_inference/rerank/{name}", {"query": QUERY, "input": documents}),
        "elasticsearch-top-n-texts": (
            f"/_inference/rerank/{name}",
            {"query": QUERY, "input": documents, "top_n": 4, "return_documents": True},
        ),
        "tei": (f"/hf/{name}/rerank", {"query": QUERY, "texts": documents, "return_text": True}),
        "tei-root": (f"/hf/{name}", {"query": QUERY, "texts": documents}),
    }


def _upstream_calls(fake_hf: FakeHF, upstream: str) -> list[Any]:
    route = UPSTREAMS[upstream][1]
    return [hit.body for hit in fake_hf.hits(route) if hit.body is not None]


@pytest.mark.parametrize("face", sorted(_faces("x", [])))
@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
async def test_a_partly_cached_ranking_is_the_fresh_one_byte_for_byte(
    api: httpx.AsyncClient, fake_hf: FakeHF, face: str, upstream: str
) -> None:
    path, warm = _faces(upstream, WARM)[face]
    _, mixed = _faces(upstream, MIXED)[face]
    assert (await api.post(path, json=warm)).headers["x-hfgate-cache"] == "miss"
    partly = await api.post(path, json=mixed)
    whole = await api.post(path, json=mixed)
    fresh = await api.post(path, params={"cache": "false"}, json=mixed)
    assert [r.status_code for r in (partly, whole, fresh)] == [200, 200, 200], partly.text
    assert (partly.headers["x-hfgate-cache"], whole.headers["x-hfgate-cache"]) == ("partial", "hit")
    assert "x-hfgate-cache" not in fresh.headers
    assert partly.content == whole.content == fresh.content
    assert len(fresh.json()["rerank"] if face.startswith("elastic") else fresh.json()) == (
        4 if face.endswith("texts") else len(MIXED)
    )


@pytest.mark.parametrize("upstream", sorted(UPSTREAMS))
async def test_only_the_uncached_documents_go_upstream_in_one_call_each_once(
    api: httpx.AsyncClient, fake_hf: FakeHF, upstream: str
) -> None:
    path = f"/_inference/rerank/{upstream}"
    await api.post(path, json={"query": QUERY, "input": WARM})
    fake_hf.reset()
    answer = await api.post(path, json={"query": QUERY, "input": MIXED})
    assert answer.status_code == 200, answer.text
    (sent,) = _upstream_calls(fake_hf, upstream)
    documents = sent.get("texts") or sent.get("documents") or sent["inputs"]["sentences"]
    assert documents == ["fish", "cat big", "a cat"]
    # ties in document order: "cat big" (1) before "big cat" (3), "fish" (0) before "dog" (2, 5)
    assert [hit["index"] for hit in answer.json()["rerank"]] == [1, 3, 4, 0, 2, 5]


async def test_a_full_hit_sends_nothing_upstream_and_counts_its_documents_as_cached_texts(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    path = "/_inference/rerank/hosted"  # the hosted model's tokenizer is here: its tokens are counted
    await api.post(path, json={"query": QUERY, "input": MIXED, "top_n": 1})
    before = await _totals(api)
    fake_hf.reset()
    answer = await api.post(path, json={"query": QUERY, "input": MIXED})
    after = await _totals(api)
    assert answer.headers["x-hfgate-cache"] == "hit", "a top_n request still cached every document's score"
    assert _upstream_calls(fake_hf, "hosted") == []
    assert after["cached_texts"] - before["cached_texts"] == len(MIXED)
    assert after["input_tokens"] == before["input_tokens"]


async def test_usage_counts_the_query_and_the_documents_sent_and_the_cached_ones_apart(
    api: httpx.AsyncClient,
) -> None:
    path = "/_inference/rerank/hosted"
    alone = await _totals(api)
    await api.post(path, params={"cache": "false"}, json={"query": QUERY, "input": ["fish", "cat big", "a cat"]})
    sent_tokens = (await _totals(api))["input_tokens"] - alone["input_tokens"]
    await api.post(path, json={"query": QUERY, "input": WARM})
    before = await _totals(api)
    await api.post(path, json={"query": QUERY, "input": MIXED})
    after = await _totals(api)
    assert sent_tokens > 0
    assert after["input_tokens"] - before["input_tokens"] == sent_tokens
    assert after["cached_texts"] - before["cached_texts"] == 3  # "dog" twice and "big cat"


async def _totals(api: httpx.AsyncClient) -> dict[str, int]:
    totals: dict[str, int] = (await api.get("/_usage")).json()["totals"]
    return totals


async def test_another_query_on_the_same_documents_is_not_served_from_the_cache(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    path = "/_inference/rerank/tei"
    await api.post(path, json={"query": QUERY, "input": WARM})
    other = await api.post(path, json={"query": "small dog", "input": WARM})
    assert other.headers["x-hfgate-cache"] == "miss"
    assert other.json()["rerank"][0]["index"] == 0


async def test_cache_false_and_the_endpoints_cache_off_score_every_document(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    path, body = "/_inference/rerank/tei", {"query": QUERY, "input": WARM}
    await api.post(path, json=body)
    fake_hf.reset()
    assert "x-hfgate-cache" not in (await api.post(path, params={"cache": "false"}, json=body)).headers
    updated = await api.put(f"{path}/_update", json={"service_settings": {"cache": "off"}})
    assert updated.status_code == 200, updated.text
    assert "x-hfgate-cache" not in (await api.post(path, json=body)).headers
    assert len(_upstream_calls(fake_hf, "tei")) == 2


async def test_deleting_a_rerank_endpoint_removes_its_scores(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    path, body = "/_inference/rerank/tei", {"query": QUERY, "input": WARM}
    await api.post(path, json=body)
    assert (await api.post(path, json=body)).headers["x-hfgate-cache"] == "hit"
    assert (await api.delete(path)).status_code == 200
    made = await api.put(path, json=rerank_body(UPSTREAMS["tei"][0], fake_hf.base))
    assert made.status_code == 200, made.text
    assert (await api.post(path, json=body)).headers["x-hfgate-cache"] == "miss"
