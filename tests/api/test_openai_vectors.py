"""OpenAI-face embeddings keep an upstream's numbers as they came (no float32 round trip)."""

from __future__ import annotations

import httpx

from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import TOKEN, FakeHF, vector_for

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]


async def test_float_vectors_pass_through_digit_for_digit(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    assert (await api.put("/_inference/text_embedding/tei", json=body)).status_code == 200
    answer = await api.post("/v1/embeddings", json={"model": "tei", "input": ["one", "two"]})
    assert answer.status_code == 200, answer.text
    assert [item["embedding"] for item in answer.json()["data"]] == [vector_for("one"), vector_for("two")]
    assert str(vector_for("one")[0]) in answer.text  # e.g. 0.305882, not 0.30588236451148987


async def test_dimensions_and_base64_still_use_float32(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    assert (await api.put("/_inference/text_embedding/tei", json=body)).status_code == 200
    answer = await api.post("/v1/embeddings", json={"model": "tei", "input": "one", "dimensions": 4})
    vector = answer.json()["data"][0]["embedding"]
    assert len(vector) == 4
    assert abs(sum(x * x for x in vector) - 1.0) < 1e-5
