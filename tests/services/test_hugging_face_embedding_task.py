"""The ``hugging_face`` service serves Elasticsearch's ``embedding`` task with its embedding servers: the
endpoint is stored as ``embedding``, validated with one real call, and answers one vector per content
object, over real HTTP to the fake server."""

from __future__ import annotations

import httpx

from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import DIMENSIONS, TOKEN, FakeHF, vector_for

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]


async def test_an_embedding_endpoint_by_url_is_created_and_answers_per_content_object(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    config = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    created = await api.put("/_inference/embedding/tei-emb", json=config)
    assert created.status_code == 200, created.text
    assert (created.json()["task_type"], created.json()["service_settings"]["dimensions"]) == ("embedding", DIMENSIONS)
    body = {"input": [{"content": {"type": "text", "value": "one"}}, {"content": [{"type": "text", "value": "two"}]}]}
    answer = await api.post("/_inference/embedding/tei-emb", json=body)
    assert answer.json() == {"embeddings": [{"embedding": vector_for("one")}, {"embedding": vector_for("two")}]}
    shown = (await api.get("/_inference/tei-emb")).json()["endpoints"][0]
    assert shown["task_type"] == "embedding"
    update = await api.put("/_inference/embedding/tei-emb/_update", json={"service_settings": {"api_key": TOKEN}})
    assert (update.status_code, update.json()["task_type"]) == (200, "embedding")


async def test_an_image_is_refused_before_the_upstream_is_called(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    config = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    await api.put("/_inference/embedding/tei-img", json=config)
    calls = len(fake_hf.requests)
    image = {"content": {"type": "image", "format": "base64", "value": "data:image/png;base64,AA=="}}
    answer = await api.post("/_inference/embedding/tei-img", json={"input": [image]})
    assert answer.status_code == 400
    assert "Field [input][0].content.type [image] is not supported" in answer.json()["error"]["reason"]
    assert len(fake_hf.requests) == calls
