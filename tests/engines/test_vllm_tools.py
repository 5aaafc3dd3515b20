"""Tool calls passed through to a real vLLM (generate runner, ``--enable-auto-tool-choice --tool-call-parser
hermes``; ``required`` and named choices by its guided decoding): hfgate's answers, whole and streamed, carry
the calls vLLM makes, and the tool-result turn reaches vLLM as OpenAI's messages."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.engines.helpers import register
from tests.engines.test_vllm_generation import events
from tests.support.engine_servers import SMOLLM2

pytestmark = pytest.mark.engines
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "London", "Tokyo"]}},
            "required": ["city"],
        },
    },
}
QUESTION = [{"role": "user", "content": "What is the weather in Paris?"}]
NAMED = {"type": "function", "function": {"name": "get_weather"}}
GREEDY = {"max_tokens": 48, "temperature": 0}


def _calls(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    message = answer["choices"][0]["message"]
    return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message.get("tool_calls") or []]


@pytest.mark.parametrize("choice", ["required", NAMED], ids=["required", "named"])
async def test_a_forced_tool_call_is_vllms_own(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_chat: str, choice: Any
) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    body = {"messages": QUESTION, "tools": [WEATHER], "tool_choice": choice, **GREEDY}
    ours = await api.post("/v1/chat/completions", json={"model": "c", **body})
    theirs = await engine.post(f"{vllm_chat}/v1/chat/completions", json={"model": SMOLLM2, **body})
    assert theirs.status_code == 200, theirs.text
    assert ours.status_code == 200, ours.text
    assert _calls(theirs.json())  # vLLM's guided decoding made a call
    assert _calls(ours.json()) == _calls(theirs.json())
    # vLLM 0.32.0 ends a named call with finish_reason "stop" (as OpenAI does for a named choice), a required
    # one with "tool_calls"; hfgate says "tool_calls" whenever the answer is calls, so clients need one check
    assert theirs.json()["choices"][0]["finish_reason"] == ("stop" if isinstance(choice, dict) else "tool_calls")
    assert ours.json()["choices"][0]["finish_reason"] == "tool_calls"
    assert ours.json()["usage"]["prompt_tokens"] == theirs.json()["usage"]["prompt_tokens"]


async def test_a_streamed_named_call_joins_to_vllms_arguments(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_chat: str
) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    body = {"messages": QUESTION, "tools": [WEATHER], "tool_choice": NAMED, **GREEDY}
    whole = (await engine.post(f"{vllm_chat}/v1/chat/completions", json={"model": SMOLLM2, **body})).json()
    streamed = await api.post("/v1/chat/completions", json={"model": "c", "stream": True, **body})
    assert streamed.status_code == 200, streamed.text
    pieces = [p for chunk in events(streamed.text) if chunk["choices"]
              for p in chunk["choices"][0]["delta"].get("tool_calls") or []]  # fmt: skip
    assert pieces[0]["function"]["name"] == "get_weather"
    assert pieces[0]["id"]
    arguments = "".join(p["function"].get("arguments") or "" for p in pieces)
    assert json.loads(arguments) == _calls(whole)[0][1]


async def test_the_tool_result_turn_answers_as_vllm_does(
    api: httpx.AsyncClient, engine: httpx.AsyncClient, vllm_chat: str
) -> None:
    await register(api, "chat_completion", "c", url=vllm_chat)
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    turn = [
        *QUESTION,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 degrees."},
    ]
    body = {"messages": turn, "tools": [WEATHER], **GREEDY}
    ours = (await api.post("/v1/chat/completions", json={"model": "c", **body})).json()
    theirs = (await engine.post(f"{vllm_chat}/v1/chat/completions", json={"model": SMOLLM2, **body})).json()
    assert ours["choices"][0]["message"].get("content") == theirs["choices"][0]["message"].get("content")
    assert _calls(ours) == _calls(theirs)
    assert ours["usage"]["prompt_tokens"] == theirs["usage"]["prompt_tokens"]
