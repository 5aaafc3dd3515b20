"""Sparse embeddings are cached per text as dense vectors are: bit for bit the fresh answer, only the
texts the cache lacks computed (in one call, in order), the same controls, counts and removal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import app_client
from tests.embed_cache.conftest import cache_settings
from tests.fakes.engines import sparse_for
from tests.fakes.hf_server import TOKEN, FakeHF

SPLADE = "splade"
PATH = f"/_inference/sparse_embedding/{SPLADE}"
SENT = "/tei-sparse/embed_sparse"


def splade_body(base: str) -> dict[str, Any]:
    return {"service": "hugging_face", "service_settings": {"url": f"{base}/tei-sparse", "api_key": TOKEN}}


@pytest.fixture
async def api(fake_hf: FakeHF, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the cache on and a sparse endpoint on the fake TEI's SPLADE model."""
    async with app_client(cache_settings(fake_hf.base, tmp_path / "data")) as http:
        made = await http.put(PATH, json=splade_body(fake_hf.base))
        assert made.status_code == 200, made.text
        fake_hf.reset()
        yield http


def _weights(answer: httpx.Response) -> list[dict[str, float]]:
    return [item["embedding"] for item in answer.json()["sparse_embedding"]]


async def test_a_cached_sparse_vector_is_the_fresh_one_bit_for_bit_in_its_order(api: httpx.AsyncClient) -> None:
    body = {"input": ["the big cat sat", "a longer sentence about sparse retrieval weights"]}
    first = await api.post(PATH, json=body)
    second = await api.post(PATH, json=body)
    fresh = await api.post(PATH, params={"cache": "false"}, json=body)
    assert [r.status_code for r in (first, second, fresh)] == [200, 200, 200], first.text
    assert (first.headers["x-hfgate-cache"], second.headers["x-hfgate-cache"]) == ("miss", "hit")
    assert "x-hfgate-cache" not in fresh.headers
    assert first.content == second.content == fresh.content  # every digit, and the tokens' order
    expected = [{str(i): w for i, w in sparse_for(t).items()} for t in body["input"]]
    assert _weights(second) == expected
    assert [list(w) for w in _weights(second)] == [list(w) for w in expected]


async def test_a_partial_hit_computes_the_missing_texts_once_in_one_call_and_answers_in_order(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    await api.post(PATH, json={"input": ["b", "d"]})
    fake_hf.reset()
    answer = await api.post(PATH, json={"input": ["a", "b", "c", "d", "a"]})
    assert answer.headers["x-hfgate-cache"] == "partial"
    assert [hit.body["inputs"] for hit in fake_hf.hits(SENT)] == [["a", "c"]]
    fresh = await api.post(PATH, params={"cache": "false"}, json={"input": ["a", "b", "c", "d", "a"]})
    assert answer.content == fresh.content


async def test_usage_counts_the_cached_texts_apart(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    await api.post(PATH, json={"input": ["one", "two"]})
    before = (await api.get("/_usage")).json()["totals"]
    fake_hf.reset()
    await api.post(PATH, json={"input": ["one", "two", "three"]})
    after = (await api.get("/_usage")).json()["totals"]
    assert after["cached_texts"] - before["cached_texts"] == 2
    assert [hit.body["inputs"] for hit in fake_hf.hits(SENT)] == [["three"]]


async def test_cache_false_and_cache_off_compute_every_text_and_a_delete_removes_the_entries(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    body = {"input": ["x"]}
    await api.post(PATH, json=body)
    fake_hf.reset()
    assert "x-hfgate-cache" not in (await api.post(PATH, params={"cache": "false"}, json=body)).headers
    assert (await api.put(f"{PATH}/_update", json={"service_settings": {"cache": "off"}})).status_code == 200
    assert "x-hfgate-cache" not in (await api.post(PATH, json=body)).headers
    assert len(fake_hf.hits(SENT)) == 2
    assert (await api.put(f"{PATH}/_update", json={"service_settings": {"cache": "on"}})).status_code == 200
    await api.post(PATH, json=body)
    assert (await api.post(PATH, json=body)).headers["x-hfgate-cache"] == "hit"
    assert (await api.delete(PATH)).status_code == 200
    assert (await api.put(PATH, json=splade_body(fake_hf.base))).status_code == 200
    assert (await api.post(PATH, json=body)).headers["x-hfgate-cache"] == "miss"
