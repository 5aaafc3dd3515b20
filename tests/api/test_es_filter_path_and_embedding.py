"""Elasticsearch's ``filter_path`` on every answer of the face, and 9.4's ``embedding`` task type (on the
fast fake service: what is tested is the face, not the model)."""

from __future__ import annotations

import httpx
import pytest

WORDS = "words"


@pytest.fixture
async def api(fake_api: httpx.AsyncClient) -> httpx.AsyncClient:
    """The fake app with a ``text_embedding`` endpoint ``words``."""
    config = {"service": "fake", "service_settings": {"model": "words"}}
    created = await fake_api.put(f"/_inference/text_embedding/{WORDS}", json=config)
    assert created.status_code == 200, created.text
    return fake_api


async def test_filter_path_keeps_wildcard_matches_and_drops_exclusions(api: httpx.AsyncClient) -> None:
    kept = await api.get(f"/_inference/{WORDS}", params={"filter_path": "endpoints.*_id,endpoints.service"})
    assert kept.json() == {"endpoints": [{"inference_id": WORDS, "service": "fake"}]}
    dropped = await api.get(f"/_inference/{WORDS}", params={"filter_path": "-**.service_settings,-**.*_settings"})
    assert set(dropped.json()["endpoints"][0]) == {"inference_id", "task_type", "service"}
    assert int(dropped.headers["content-length"]) == len(dropped.content)


async def test_filter_path_applies_to_inference_results_and_errors(api: httpx.AsyncClient) -> None:
    answer = await api.post(f"/_inference/{WORDS}", params={"filter_path": "nothing.here"}, json={"input": "hello"})
    assert answer.json() == {}
    missing = await api.get("/_inference/nope", params={"filter_path": "status"})
    assert (missing.status_code, missing.json()) == (404, {"status": 404})


async def test_the_embedding_task_type_answers_embeddings_for_text(api: httpx.AsyncClient) -> None:
    plain = (await api.post(f"/_inference/text_embedding/{WORDS}", json={"input": ["a cat"]})).json()
    body = {"input": [{"content": {"type": "text", "value": "a cat"}}]}
    answer = await api.post(f"/_inference/embedding/{WORDS}", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["embeddings"][0]["embedding"] == plain["text_embedding"][0]["embedding"]


async def test_an_image_for_the_embedding_task_is_refused_naming_the_item(api: httpx.AsyncClient) -> None:
    body = {"input": ["a cat", {"content": {"type": "image", "format": "base64", "value": "data:image/png;base64,"}}]}
    answer = await api.post(f"/_inference/embedding/{WORDS}", json=body)
    assert answer.status_code == 400
    assert "Field [input][1].content.type [image] is not supported" in answer.json()["error"]["reason"]


async def test_an_endpoint_created_as_embedding_stays_an_embedding_one(api: httpx.AsyncClient) -> None:
    config = {"service": "fake", "service_settings": {"model": "words"}}
    created = await api.put("/_inference/embedding/mini", json=config)
    assert created.status_code == 200, created.text
    assert created.json()["task_type"] == "embedding"
    assert created.json()["service_settings"]["dimensions"] == 16  # recorded by the text_embedding model's check
