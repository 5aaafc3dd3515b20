"""Every face, end to end, on the fast fake service (``tests/fakes/service.py``): what each face sends the
model and how it writes the answer back, in the fast tier (no model loaded). The same faces on the real
local models are tested by the slow tests beside this file."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.fakes.service import vector

EMBEDDING = {"service": "fake", "service_settings": {"model": "words"}}
TEXTS = ["The quick brown fox", "a lazy dog"]


async def made(api: httpx.AsyncClient, task: str, name: str) -> None:
    created = await api.put(f"/_inference/{task}/{name}", json=EMBEDDING)
    assert created.status_code == 200, created.text


def events(body: str) -> list[Any]:
    """The JSON data of each server-sent event, ``[DONE]`` left out."""
    found = []
    for line in body.splitlines():
        if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
            found.append(json.loads(line[5:]))
    return found


def close(got: list[float], want: list[float]) -> bool:
    return all(abs(a - b) < 1e-6 for a, b in zip(got, want, strict=True))


async def test_an_embedding_endpoint_records_its_shape_and_every_face_gives_the_models_vectors(
    fake_api: httpx.AsyncClient,
) -> None:
    await made(fake_api, "text_embedding", "words")
    shown = (await fake_api.get("/_inference/words")).json()["endpoints"][0]
    assert (shown["service_settings"]["dimensions"], shown["service_settings"]["similarity"]) == (16, "cosine")

    es = await fake_api.post("/_inference/text_embedding/words", json={"input": TEXTS})
    assert es.status_code == 200, es.text
    assert all(close(item["embedding"], vector(t)) for item, t in zip(es.json()["text_embedding"], TEXTS, strict=True))

    openai = await fake_api.post("/v1/embeddings", json={"model": "words", "input": TEXTS})
    assert openai.status_code == 200, openai.text
    assert [d["index"] for d in openai.json()["data"]] == [0, 1]
    assert close(openai.json()["data"][1]["embedding"], vector(TEXTS[1]))
    assert openai.json()["usage"]["prompt_tokens"] == 7

    tei = await fake_api.post("/hf/words/embed", json={"inputs": TEXTS})
    assert tei.status_code == 200, tei.text
    assert close(tei.json()[0], vector(TEXTS[0]))

    gemini = await fake_api.post("/v1beta/models/words:embedContent", json={"content": {"parts": [{"text": TEXTS[0]}]}})
    assert gemini.status_code == 200, gemini.text
    assert close(gemini.json()["embedding"]["values"], vector(TEXTS[0]))


async def test_chunked_embeddings_give_each_inputs_chunks_with_their_offsets(fake_api: httpx.AsyncClient) -> None:
    body = {**EMBEDDING, "chunking_settings": {"strategy": "word", "max_chunk_size": 10, "overlap": 2}}
    assert (await fake_api.put("/_inference/text_embedding/chunky", json=body)).status_code == 200
    text = " ".join(f"word{i}" for i in range(25))
    answer = await fake_api.post("/_inference/chunky", json={"input": [text, "short"], "chunked": True})
    assert answer.status_code == 200, answer.text
    first, second = (item["chunks"] for item in answer.json()["text_embedding"])
    assert len(first) == 3
    assert [c["text"] for c in second] == ["short"]
    for piece in first:
        assert text[piece["start_offset"] : piece["end_offset"]] == piece["text"]
        assert close(piece["embedding"], vector(piece["text"]))


async def test_sparse_vectors_and_rerank_scores_come_back_in_each_faces_shape(fake_api: httpx.AsyncClient) -> None:
    await made(fake_api, "sparse_embedding", "sparse")
    sparse = await fake_api.post("/_inference/sparse_embedding/sparse", json={"input": ["cat cat dog"]})
    assert sparse.status_code == 200, sparse.text
    assert sparse.json()["sparse_embedding"][0]["embedding"] == {"cat": 2.0, "dog": 1.0}

    await made(fake_api, "rerank", "ranker")
    documents = ["a dog", "the quick brown fox", "a brown dog"]
    es = await fake_api.post("/_inference/rerank/ranker", json={"query": "brown fox", "input": documents})
    assert es.status_code == 200, es.text
    assert [hit["index"] for hit in es.json()["rerank"]] == [1, 2, 0]  # best first, ties in document order
    assert [hit["relevance_score"] for hit in es.json()["rerank"]] == [1.0, 0.5, 0.0]

    tei = await fake_api.post("/hf/ranker/rerank", json={"query": "brown fox", "texts": documents})
    assert tei.status_code == 200, tei.text
    assert [hit["index"] for hit in tei.json()] == [1, 2, 0]

    cohere = await fake_api.post("/v1/rerank", json={"model": "ranker", "query": "brown fox", "documents": documents,
                                                      "top_n": 1})  # fmt: skip
    assert cohere.status_code == 200, cohere.text
    assert [hit["index"] for hit in cohere.json()["results"]] == [1]


async def test_a_completion_whole_and_streamed_on_elasticsearchs_and_tgis_faces(fake_api: httpx.AsyncClient) -> None:
    await made(fake_api, "completion", "writer")
    whole = await fake_api.post("/_inference/completion/writer", json={"input": "hello there friend"})
    assert whole.status_code == 200, whole.text
    assert whole.json()["completion"][0]["result"] == "You said: hello there friend"

    streamed = await fake_api.post("/_inference/completion/writer/_stream", json={"input": "hello there"})
    assert streamed.status_code == 200, streamed.text
    pieces = [d["completion"][0]["delta"] for d in events(streamed.text) if "completion" in d]
    assert "".join(pieces) == "You said: hello there"

    tgi = await fake_api.post(
        "/hf/writer/generate", json={"inputs": "one two three", "parameters": {"max_new_tokens": 3}}
    )
    assert tgi.status_code == 200, tgi.text
    assert tgi.json()["generated_text"] == "You said: one"


async def test_a_chat_on_the_openai_anthropic_gemini_and_responses_faces(fake_api: httpx.AsyncClient) -> None:
    await made(fake_api, "chat_completion", "chat")
    said = [{"role": "user", "content": "how are you"}]

    openai = await fake_api.post("/v1/chat/completions", json={"model": "chat", "messages": said})
    assert openai.status_code == 200, openai.text
    assert openai.json()["choices"][0]["message"]["content"] == "You said: how are you"
    assert openai.json()["choices"][0]["finish_reason"] == "stop"

    stream = await fake_api.post("/v1/chat/completions", json={"model": "chat", "messages": said, "stream": True})
    assert stream.status_code == 200, stream.text
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in events(stream.text) if c["choices"])
    assert text == "You said: how are you"

    anthropic = await fake_api.post("/v1/messages", json={"model": "chat", "max_tokens": 3, "messages": said})
    assert anthropic.status_code == 200, anthropic.text
    assert (anthropic.json()["content"][0]["text"], anthropic.json()["stop_reason"]) == ("You said: how", "max_tokens")

    counted = await fake_api.post("/v1/messages/count_tokens", json={"model": "chat", "messages": said})
    assert counted.status_code == 200, counted.text
    assert counted.json()["input_tokens"] == 3

    gemini = await fake_api.post(
        "/v1beta/models/chat:generateContent", json={"contents": [{"role": "user", "parts": [{"text": "how are you"}]}]}
    )
    assert gemini.status_code == 200, gemini.text
    assert gemini.json()["candidates"][0]["content"]["parts"][0]["text"] == "You said: how are you"

    responses = await fake_api.post("/v1/responses", json={"model": "chat", "input": "how are you"})
    assert responses.status_code == 200, responses.text
    message = next(item for item in responses.json()["output"] if item["type"] == "message")
    assert message["content"][0]["text"] == "You said: how are you"


async def test_a_required_tool_call_comes_back_as_each_face_writes_calls(fake_api: httpx.AsyncClient) -> None:
    await made(fake_api, "chat_completion", "agent")
    tool = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}
    said = [{"role": "user", "content": "what time is it"}]
    openai = await fake_api.post(
        "/v1/chat/completions", json={"model": "agent", "messages": said, "tools": [tool], "tool_choice": "required"}
    )
    assert openai.status_code == 200, openai.text
    choice = openai.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"] == {"name": "get_time", "arguments": "{}"}

    anthropic_tool = {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}
    anthropic = await fake_api.post(
        "/v1/messages",
        json={"model": "agent", "max_tokens": 20, "messages": said, "tools": [anthropic_tool],
              "tool_choice": {"type": "any"}},
    )  # fmt: skip
    assert anthropic.status_code == 200, anthropic.text
    assert anthropic.json()["stop_reason"] == "tool_use"
    use = next(block for block in anthropic.json()["content"] if block["type"] == "tool_use")
    assert (use["name"], use["input"]) == ("get_time", {})
