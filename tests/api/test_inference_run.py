"""Running inference through `_inference`: the default embedding endpoint and every input error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import numpy as np
import pytest

from hfgate.local.catalog import resolve_model

DEFAULT = "/_inference/text_embedding/.all-minilm-l6-v2"
WORDS = "/_inference/text_embedding/words"
"""An endpoint of the fast fake service (``tests/fakes/service.py``), for what never reaches a model."""
TEXTS = ["The quick brown fox jumps over the lazy dog.", "hello world", "Debian: the universal operating system"]


async def fake_words(api: httpx.AsyncClient) -> None:
    made = await api.put(WORDS, json={"service": "fake", "service_settings": {"model": "words"}})
    assert made.status_code == 200, made.text


@pytest.fixture(scope="module")
def reference_vectors() -> np.ndarray:
    """What sentence-transformers itself returns for TEXTS with all-MiniLM-L6-v2."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(resolve_model("all-MiniLM-L6-v2").path), device="cpu")
    vectors: np.ndarray = model.encode(TEXTS, convert_to_numpy=True)
    return vectors


async def test_default_endpoint_matches_sentence_transformers(
    client: httpx.AsyncClient, reference_vectors: np.ndarray
) -> None:
    response = await client.post(DEFAULT, json={"input": TEXTS})
    assert response.status_code == 200, response.text
    got = np.array([item["embedding"] for item in response.json()["text_embedding"]])
    assert got.shape == (3, 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4), "vectors are normalized"
    cosines = (got * reference_vectors).sum(axis=1) / np.linalg.norm(reference_vectors, axis=1)
    assert cosines.min() >= 0.9999


async def test_a_single_string_input_gives_one_vector(client: httpx.AsyncClient) -> None:
    response = await client.post("/_inference/.all-minilm-l6-v2", json={"input": "just one"})
    assert len(response.json()["text_embedding"]) == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "Field [input] cannot be null"),
        ({"input": []}, "Field [input] cannot be an empty array"),
        ({"input": [1, 2]}, "Field [input] must be a string or an array of strings, got [array]"),
        ({"input": 5}, "got [number]"),
        ({"input": "x", "inptu": "y"}, "Unknown field [inptu] in the request body"),
        ({"input": "x", "query": "q"}, "Field [query] cannot be specified for task type [text_embedding]"),
        ({"input": "x", "input_type": "searchy"}, "Unrecognized input_type [searchy]"),
        ({"input": "x", "task_settings": {"nope": 1}}, "unknown to the [fake] service"),
        ({"input": "x", "task_settings": "x"}, "[task_settings] must be an object"),
        ({"input": "x", "chunked": "yes"}, "Field [chunked] must be a boolean"),
    ],
)
async def test_bad_inference_bodies_are_400s(fake_api: httpx.AsyncClient, body: dict[str, Any], expected: str) -> None:
    await fake_words(fake_api)  # the fast fake service: a refused body never reaches a model
    response = await fake_api.post(WORDS, json=body)
    assert response.status_code == 400, response.text
    assert expected in response.json()["error"]["reason"]


async def test_wrong_task_type_and_unknown_endpoint(fake_api: httpx.AsyncClient) -> None:
    await fake_words(fake_api)
    wrong = await fake_api.post("/_inference/completion/words", json={"input": "x"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["reason"] == (
        "Incompatible task_type, the requested type [completion] does not match the model type [text_embedding]"
    )
    missing = await fake_api.post("/_inference/text_embedding/nope", json={"input": "x"})
    assert missing.status_code == 404


async def test_streaming_an_embedding_endpoint_is_refused(fake_api: httpx.AsyncClient) -> None:
    await fake_words(fake_api)
    response = await fake_api.post(f"{WORDS}/_stream", json={"input": "x"})
    assert response.status_code == 400
    assert "Streaming is not allowed for task type [text_embedding]" in response.json()["error"]["reason"]


async def test_a_timeout_too_short_for_the_model_is_a_408(client: httpx.AsyncClient) -> None:
    long_inputs = ["word " * 200] * 64
    response = await client.post(DEFAULT, json={"input": long_inputs}, params={"timeout": "1nanos"})
    assert response.status_code == 408
    assert response.json()["error"]["reason"].startswith("Request timed out after")


async def test_chunked_embedding_returns_each_inputs_chunks_with_offsets(client: httpx.AsyncClient) -> None:
    await client.put(
        "/_inference/text_embedding/chunky",
        json={
            "service": "local",
            "service_settings": {"model": "all-MiniLM-L6-v2"},
            "chunking_settings": {"strategy": "word", "max_chunk_size": 10, "overlap": 2},
        },
        params={"skip_validation": "true"},
    )
    long_text = " ".join(f"word{i}" for i in range(25))
    response = await client.post("/_inference/chunky", json={"input": [long_text, "short"], "chunked": True})
    assert response.status_code == 200, response.text
    first, second = (item["chunks"] for item in response.json()["text_embedding"])
    assert len(first) == 3
    assert [c["text"] for c in second] == ["short"]
    for piece in first:
        assert long_text[piece["start_offset"] : piece["end_offset"]] == piece["text"]
        assert len(piece["embedding"]) == 384
    plain = await client.post("/_inference/chunky", json={"input": [long_text]})
    assert "chunks" not in plain.json()["text_embedding"][0]


async def test_chunk_route_shows_the_cut_without_a_model(fake_api: httpx.AsyncClient) -> None:
    text = "First sentence here. Second one follows! And a third?"
    response = await fake_api.post(
        "/_inference/_chunk", json={"input": text, "chunking_settings": {"strategy": "none"}}
    )
    assert response.json() == {"chunks": [[{"start_offset": 0, "end_offset": len(text), "text": text}]]}
    bad = await fake_api.post("/_inference/_chunk", json={"input": text, "chunking_settings": {"strategy": "x"}})
    assert bad.status_code == 400
    assert "Invalid chunkingStrategy x" in bad.json()["error"]["reason"]


GENERATOR = ".smollm2-135m-instruct"
LOAD = {"timeout": "5m"}  # the first call of the session loads (and converts) the model


def sse_data(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]


async def test_completion_with_call_task_settings(client: httpx.AsyncClient) -> None:
    body = {"input": ["The sky is", "Water is"], "task_settings": {"max_new_tokens": 3, "do_sample": False}}
    response = await client.post(f"/_inference/completion/{GENERATOR}", json=body, params=LOAD)
    assert response.status_code == 200, response.text
    results = response.json()["completion"]
    assert len(results) == 2
    assert all(isinstance(r["result"], str) and r["result"] for r in results)
    bad = await client.post(f"/_inference/completion/{GENERATOR}", json={"input": "x", "task_settings": {"top_k": 0}})
    assert bad.status_code == 400
    assert "[top_k]" in bad.json()["error"]["reason"]


async def test_completion_stream_is_elasticsearch_events_ending_with_done(client: httpx.AsyncClient) -> None:
    body = {"input": "The sky is", "task_settings": {"max_new_tokens": 4, "do_sample": False}}
    whole = (await client.post(f"/_inference/completion/{GENERATOR}", json=body, params=LOAD)).json()["completion"][0][
        "result"
    ]
    response = await client.post(f"/_inference/completion/{GENERATOR}/_stream", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_data(response.text)
    assert events[-1] == "[DONE]"
    assert "event: message" in response.text
    deltas = [json.loads(e)["completion"][0]["delta"] for e in events[:-1]]
    assert "".join(deltas) == whole


async def test_chat_completion_streams_chunks_and_refuses_plain_inference(client: httpx.AsyncClient) -> None:
    body = {"messages": [{"role": "user", "content": "Say hello."}], "max_completion_tokens": 4}
    response = await client.post(f"/_inference/chat_completion/{GENERATOR}/_stream", json=body)
    assert response.status_code == 200, response.text
    chunks = [json.loads(e)["chat_completion"] for e in sse_data(response.text)[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[-1]["choices"][0]["finish_reason"] in ("length", "stop")
    plain = await client.post(f"/_inference/chat_completion/{GENERATOR}", json={"input": "x"})
    assert plain.status_code == 400
    assert "only supports streaming" in plain.json()["error"]["reason"]
    tools = await client.post(f"/_inference/chat_completion/{GENERATOR}/_stream", json={**body, "tools": [{}]})
    assert tools.status_code == 400
