"""Elasticsearch 9.5's ``embedding`` task type: an endpoint created as ``embedding`` stays one, runs the
local text embedding model (the same vectors as ``text_embedding``), takes strings, content objects and
9.5's content arrays, one vector per content object, and refuses what a text model cannot take, naming
the item."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

MINILM = {"service": "local", "service_settings": {"model": "sentence-transformers/all-MiniLM-L6-v2"}}
DEFAULT = ".all-minilm-l6-v2"


def text(value: str, **extra: str) -> dict[str, Any]:
    return {"type": "text", "value": value, **extra}


async def create(client: httpx.AsyncClient, inference_id: str) -> dict[str, Any]:
    created = await client.put(f"/_inference/embedding/{inference_id}", json=MINILM)
    assert created.status_code == 200, created.text
    answer: dict[str, Any] = created.json()
    return answer


async def reference(client: httpx.AsyncClient, texts: list[str]) -> list[list[float]]:
    answer = await client.post(f"/_inference/text_embedding/{DEFAULT}", json={"input": texts})
    return [item["embedding"] for item in answer.json()["text_embedding"]]


async def test_an_embedding_endpoint_is_stored_and_listed_as_embedding(client: httpx.AsyncClient) -> None:
    created = await create(client, "emb-stored")
    assert (created["task_type"], created["service_settings"]["dimensions"]) == ("embedding", 384)
    listed = (await client.get("/_inference/embedding/_all")).json()["endpoints"]
    assert [(e["inference_id"], e["task_type"]) for e in listed] == [("emb-stored", "embedding")]
    assert (await client.get("/_inference/text_embedding/_all")).json()["endpoints"][0]["inference_id"] == DEFAULT
    services = (await client.get("/_inference/_services/embedding")).json()
    assert "local" in {s["service"] for s in services}


async def test_every_input_form_gives_one_vector_per_string_or_content_object(client: httpx.AsyncClient) -> None:
    await create(client, "emb-forms")
    expected = await reference(client, ["a cat", "a dog", "a bird"])
    body = {"input": ["a cat", {"content": text("a dog", format="text")}, {"content": [text("a bird")]}]}
    answer = await client.post("/_inference/embedding/emb-forms", json=body)
    assert answer.status_code == 200, answer.text
    vectors = [item["embedding"] for item in answer.json()["embeddings"]]
    assert [pytest.approx(v, abs=1e-5) for v in expected] == vectors
    single = await client.post(
        "/_inference/emb-forms", json={"input": {"content": text("a cat")}, "input_type": "search"}
    )
    assert single.json()["embeddings"][0]["embedding"] == pytest.approx(expected[0], abs=1e-5)


async def test_the_same_endpoint_serves_text_embedding_and_openai_for_its_text_side(client: httpx.AsyncClient) -> None:
    await create(client, "emb-text")
    (expected,) = await reference(client, ["a cat"])
    es = await client.post("/_inference/text_embedding/emb-text", json={"input": "a cat"})
    assert es.json()["text_embedding"][0]["embedding"] == pytest.approx(expected, abs=1e-5)
    openai = await client.post("/v1/embeddings", json={"model": "emb-text", "input": "a cat"})
    assert openai.status_code == 200, openai.text
    assert openai.json()["data"][0]["embedding"] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(
    ("item", "named"),
    [
        ({"content": {"type": "image", "format": "base64", "value": "data:image/png;base64,AA=="}},
         "Field [input][1].content.type [image] is not supported"),
        ({"content": [text("a"), {"type": "audio", "value": "AAAA"}]}, "Field [input][1].content[1].type [audio]"),
        ({"content": [text("a"), text("b")]}, "Field [input][1].content holds [2] items"),
        ({"content": text("a", format="base64")}, "Field [input][1].content.format must be [text]"),
        ({"content": {"type": "hologram", "value": "x"}}, "Field [input][1].content.type must be one of"),
        ({"content": []}, "Field [input][1].content cannot be an empty array"),
        ({"text": "a"}, "Field [input][1] must be a string or an object"),
    ],
)  # fmt: skip
async def test_what_a_text_model_cannot_take_is_a_400_naming_the_item(
    fake_api: httpx.AsyncClient, item: dict[str, Any], named: str
) -> None:
    fake = {"service": "fake", "service_settings": {"model": "words"}}
    made = await fake_api.put("/_inference/embedding/words", json=fake)
    assert made.status_code == 200, made.text  # the fast fake service: what is refused never reaches a model
    answer = await fake_api.post("/_inference/embedding/words", json={"input": ["fine", item]})
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["error"]["reason"]


async def test_chunking_settings_are_refused_for_embedding_and_other_tasks_too(client: httpx.AsyncClient) -> None:
    body = {**MINILM, "chunking_settings": {"strategy": "word", "max_chunk_size": 50, "overlap": 10}}
    refused = await client.put("/_inference/embedding/emb-chunked", json=body)
    assert refused.status_code == 400
    assert "[chunking_settings] apply only to" in refused.json()["error"]["reason"]
    await create(client, "emb-kind")
    wrong = await client.post("/_inference/sparse_embedding/emb-kind", json={"input": "x"})
    assert wrong.status_code == 400
    assert "does not match the model type [embedding]" in wrong.json()["error"]["reason"]
