"""The OpenAI-compatible face, driven by the official `openai` client against a live server."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from tests.fakes import service as fake

EMBEDDER = ".all-minilm-l6-v2"
GENERATOR = ".smollm2-135m-instruct"


@pytest.fixture
def client(live_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0)


def test_models_lists_every_endpoint(client: openai.OpenAI) -> None:
    ids = {model.id for model in client.models.list()}
    assert {EMBEDDER, GENERATOR} <= ids


def test_embeddings_float_and_base64_agree(client: openai.OpenAI) -> None:
    floats = client.embeddings.create(model=EMBEDDER, input=["hello world", "bonjour"])
    assert [d.index for d in floats.data] == [0, 1]
    assert len(floats.data[0].embedding) == 384
    assert floats.usage.prompt_tokens > 0
    raw = client.embeddings.with_raw_response.create(model=EMBEDDER, input="hello world", encoding_format="base64")
    encoded = raw.http_response.json()["data"][0]["embedding"]
    decoded = np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    assert np.allclose(decoded, floats.data[0].embedding, atol=1e-6)


def test_embeddings_dimensions_truncates_and_renormalizes(client: openai.OpenAI) -> None:
    short = client.embeddings.create(model=EMBEDDER, input="hello", dimensions=64).data[0].embedding
    assert len(short) == 64
    assert abs(float(np.linalg.norm(short)) - 1.0) < 1e-5
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=EMBEDDER, input="hello", dimensions=1000)
    assert caught.value.body["param"] == "dimensions"  # type: ignore[index]


def test_completion_whole_and_streamed(client: openai.OpenAI) -> None:
    whole = client.completions.create(model=GENERATOR, prompt="The capital of France is", max_tokens=4, temperature=0)
    assert whole.choices[0].finish_reason in ("length", "stop")
    assert whole.usage is not None
    assert whole.usage.completion_tokens <= 4
    chunks = list(
        client.completions.create(
            model=GENERATOR, prompt="The capital of France is", max_tokens=4, temperature=0, stream=True,
            stream_options={"include_usage": True},
        )
    )  # fmt: skip
    streamed = "".join(c.choices[0].text for c in chunks if c.choices)
    assert streamed == whole.choices[0].text
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_chat_whole_and_streamed(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "Say hello."}]
    whole = client.chat.completions.create(model=GENERATOR, messages=messages, max_tokens=5, temperature=0)  # type: ignore[arg-type]
    assert whole.choices[0].message.role == "assistant"
    assert whole.choices[0].message.content
    stream = client.chat.completions.create(
        model=GENERATOR,
        messages=messages,
        max_tokens=5,
        temperature=0,
        stream=True,  # type: ignore[arg-type]
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content


def test_errors_have_openai_shape(client: openai.OpenAI, live_url: str) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.embeddings.create(model="nope", input="x")
    assert missing.value.body["code"] == "model_not_found"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as wrong:
        client.embeddings.create(model=GENERATOR, input="x")
    assert "does not match the model type" in wrong.value.message
    raw = httpx.post(f"{live_url}/v1/chat/completions", json={"model": GENERATOR, "messages": [], "n": 1})
    assert raw.status_code == 400
    assert set(raw.json()["error"]) == {"message", "type", "param", "code"}
    assert raw.json()["error"]["type"] == "invalid_request_error"


async def _completion_words(api: httpx.AsyncClient, endpoint: str, **fields: Any) -> tuple[int, str]:
    prompt = " ".join(f"w{i}" for i in range(60))  # the fake writes "You said:" and these, one token a word
    answer = await api.post("/v1/completions", json={"model": endpoint, "prompt": prompt} | fields)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["usage"]["completion_tokens"], body["choices"][0]["finish_reason"]


async def test_completions_without_max_tokens_write_16_unless_the_request_or_endpoint_sets_it(
    fake_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "MAX_WORDS", 48)  # the service's own default, as a local model's 256
    for name, stored in (("plain", {}), ("stored", {"max_new_tokens": 30})):
        body = {"service": "fake", "service_settings": {"model": "words"}, "task_settings": stored}
        created = await fake_api.put(f"/_inference/completion/{name}", json=body)
        assert created.status_code == 200, created.text
    assert await _completion_words(fake_api, "plain") == (16, "length")  # OpenAI's and vLLM's default
    assert await _completion_words(fake_api, "plain", max_tokens=20) == (20, "length")
    assert await _completion_words(fake_api, "stored") == (30, "length")  # the endpoint's setting wins
    assert await _completion_words(fake_api, "stored", max_tokens=5) == (5, "length")
    streamed = await fake_api.post(
        "/v1/completions",
        json={"model": "plain", "prompt": "a " * 40, "stream": True, "stream_options": {"include_usage": True}},
    )
    usage = [c["usage"] for c in map(json.loads, _data(streamed.text)) if c.get("usage")]
    assert usage[-1]["completion_tokens"] == 16
    chat = await fake_api.post(
        "/v1/chat/completions", json={"model": "plain", "messages": [{"role": "user", "content": "a " * 60}]}
    )
    assert chat.json()["usage"]["completion_tokens"] == 48  # chat has no such default: the service's own


def _data(stream: str) -> list[str]:
    return [line[5:].strip() for line in stream.splitlines() if line.startswith("data:") and "[DONE]" not in line]
