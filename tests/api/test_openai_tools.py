"""Tool calling and images on the OpenAI face, driven by the official ``openai`` client (sync and
async, whole and streamed) against a live hfgate and its embedded SmolLM2-135M-Instruct."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

GENERATOR = ".smollm2-135m-instruct"
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "enum": ["Paris", "London", "Tokyo"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
QUESTION: Any = [{"role": "user", "content": "What is the weather in Paris?"}]
NAMED: Any = {"type": "function", "function": {"name": "get_weather"}}


@pytest.fixture
def client(live_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0)


def test_a_named_tool_choice_returns_a_tool_call_with_null_content(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model=GENERATOR, messages=QUESTION, tools=[WEATHER], tool_choice=NAMED, max_tokens=30, temperature=0
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments)["city"] in ("Paris", "London", "Tokyo")  # type: ignore[union-attr]
    assert answer.usage is not None
    assert answer.usage.completion_tokens > 0


def test_required_streamed_joins_into_the_same_call_as_the_whole_answer(client: openai.OpenAI) -> None:
    options: Any = {"model": GENERATOR, "messages": QUESTION, "tools": [WEATHER], "tool_choice": "required",
                    "max_tokens": 40, "temperature": 0}  # fmt: skip
    whole = client.chat.completions.create(**options)
    with client.chat.completions.stream(**options) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].finish_reason == "tool_calls"
    streamed = final.choices[0].message.tool_calls or []
    expected = whole.choices[0].message.tool_calls or []
    assert [(c.function.name, c.function.arguments) for c in streamed] == [  # type: ignore[union-attr]
        (c.function.name, c.function.arguments)  # type: ignore[union-attr]
        for c in expected
    ]
    assert next(c.id for c in streamed).startswith("call_")


def test_streamed_tool_call_chunks_have_openais_shape(live_url: str) -> None:
    body = {"model": GENERATOR, "messages": QUESTION, "tools": [WEATHER], "tool_choice": NAMED, "max_tokens": 30,
            "temperature": 0, "stream": True}  # fmt: skip
    with httpx.stream("POST", f"{live_url}/v1/chat/completions", json=body, timeout=60) as answer:
        events = [json.loads(line[6:]) for line in answer.iter_lines() if line.startswith("data: {")]
    deltas = [e["choices"][0]["delta"] for e in events]
    head = deltas[0]["tool_calls"][0]
    assert head["index"] == 0
    assert head["type"] == "function"
    assert head["id"].startswith("call_")
    assert head["function"] == {"name": "get_weather", "arguments": ""}
    fragments = [d["tool_calls"][0] for d in deltas[1:] if d.get("tool_calls")]
    assert fragments
    assert all(set(f) == {"index", "function"} and set(f["function"]) == {"arguments"} for f in fragments)
    assert json.loads("".join(f["function"]["arguments"] for f in fragments))["city"]
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_an_async_agent_loop_answers_the_tool_result_turn(live_url: str) -> None:
    client = openai.AsyncOpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0)
    first = await client.chat.completions.create(
        model=GENERATOR, messages=QUESTION, tools=[WEATHER], tool_choice=NAMED, max_tokens=30, temperature=0
    )
    message = first.choices[0].message
    (call,) = message.tool_calls or []
    history: Any = [
        *QUESTION,
        message.model_dump(exclude_none=True),  # the assistant turn as the SDK gives it back: content null
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature_c": 18, "sky": "sunny"})},
    ]
    assert "content" not in history[1]
    second = await client.chat.completions.create(
        model=GENERATOR, messages=history, tools=[WEATHER], max_tokens=30, temperature=0
    )
    answer = second.choices[0]
    assert answer.message.content or answer.message.tool_calls
    assert "<tool_call>" not in (answer.message.content or "")
    stream = await client.chat.completions.create(
        model=GENERATOR, messages=history, tools=[WEATHER], tool_choice="none", max_tokens=10, temperature=0,
        stream=True,
    )  # fmt: skip
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text
    await client.close()


def test_an_image_to_the_text_only_local_model_is_a_400_naming_the_part_and_the_model(client: openai.OpenAI) -> None:
    messages: Any = [
        {"role": "user", "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        ]},
    ]  # fmt: skip
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=GENERATOR, messages=messages, max_tokens=5)
    assert caught.value.body["param"] == "messages[0].content[1]"  # type: ignore[index]
    assert "SmolLM2-135M-Instruct" in caught.value.body["message"]  # type: ignore[index]


def test_a_tool_choice_naming_an_undeclared_tool_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=GENERATOR, messages=QUESTION, tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "get_time"}}, max_tokens=5,
        )  # fmt: skip
    assert caught.value.body["param"] == "tool_choice.function.name"  # type: ignore[index]
