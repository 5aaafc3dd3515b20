"""Elasticsearch's ``filter_path`` on every answer of the face, and 9.4's ``embedding`` task type."""

from __future__ import annotations

import httpx

MINILM = ".all-minilm-l6-v2"


async def test_filter_path_keeps_wildcard_matches_and_drops_exclusions(client: httpx.AsyncClient) -> None:
    kept = await client.get(f"/_inference/{MINILM}", params={"filter_path": "endpoints.*_id,endpoints.service"})
    assert kept.json() == {"endpoints": [{"inference_id": MINILM, "service": "local"}]}
    dropped = await client.get(f"/_inference/{MINILM}", params={"filter_path": "-**.service_settings,-**.*_settings"})
    assert set(dropped.json()["endpoints"][0]) == {"inference_id", "task_type", "service"}
    assert int(dropped.headers["content-length"]) == len(dropped.content)


async def test_filter_path_applies_to_inference_results_and_errors(client: httpx.AsyncClient) -> None:
    answer = await client.post(f"/_inference/{MINILM}", params={"filter_path": "nothing.here"}, json={"input": "hello"})
    assert answer.json() == {}
    missing = await client.get("/_inference/nope", params={"filter_path": "status"})
    assert (missing.status_code, missing.json()) == (404, {"status": 404})


async def test_the_embedding_task_type_answers_embeddings_for_text(client: httpx.AsyncClient) -> None:
    plain = (await client.post(f"/_inference/text_embedding/{MINILM}", json={"input": ["a cat"]})).json()
    body = {"input": [{"content": {"type": "text", "value": "a cat"}}]}
    answer = await client.post(f"/_inference/embedding/{MINILM}", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["embeddings"][0]["embedding"] == plain["text_embedding"][0]["embedding"]


async def test_an_image_for_the_embedding_task_is_refused_naming_the_item(client: httpx.AsyncClient) -> None:
    body = {"input": ["a cat", {"content": {"type": "image", "format": "base64", "value": "data:image/png;base64,"}}]}
    answer = await client.post(f"/_inference/embedding/{MINILM}", json=body)
    assert answer.status_code == 400
    assert "Field [input][1].content.type [image] is not supported" in answer.json()["error"]["reason"]


async def test_an_endpoint_created_as_embedding_stays_an_embedding_one(client: httpx.AsyncClient) -> None:
    config = {"service": "local", "service_settings": {"model": "sentence-transformers/all-MiniLM-L6-v2"}}
    created = await client.put("/_inference/embedding/mini", json=config)
    assert created.status_code == 200, created.text
    assert created.json()["task_type"] == "embedding"
