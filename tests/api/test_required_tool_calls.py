"""``tool_choice: "required"`` with parallel calls allowed (OpenAI's default) on the embedded SmolLM2: a tool
without arguments is called once, as ``tool_calls`` with ``finish_reason: "tool_calls"``, through chat
completions (whole and streamed) and the Responses API. Before, the guided array repeated the same call
until the token limit and the raw JSON came back as the content (issue #44)."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

GENERATOR = ".smollm2-135m-instruct"
LIMIT = 120
NOW: Any = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "The current time",
        "parameters": {"type": "object", "properties": {}},
    },
}
QUESTION: Any = [{"role": "user", "content": "What time is it?"}]


@pytest.fixture
def client(live_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0)


def test_chat_calls_a_tool_without_arguments_once(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model=GENERATOR, messages=QUESTION, tools=[NOW], tool_choice="required", max_tokens=LIMIT, temperature=0
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert [(c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls or []] == [  # type: ignore[union-attr]
        ("get_time", {})
    ]
    assert answer.usage is not None
    assert answer.usage.completion_tokens < LIMIT  # the array was closed, not cut


def test_a_streamed_chat_gives_the_same_one_call(client: openai.OpenAI) -> None:
    options: Any = {"model": GENERATOR, "messages": QUESTION, "tools": [NOW], "tool_choice": "required",
                    "max_tokens": LIMIT, "temperature": 0}  # fmt: skip
    with client.chat.completions.stream(**options) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [c.function.name for c in choice.message.tool_calls or []] == ["get_time"]  # type: ignore[union-attr]
    assert not choice.message.content


def test_the_responses_api_gives_one_function_call(client: openai.OpenAI) -> None:
    tool: Any = {"type": "function", "name": "get_time", "description": "The current time",
                 "parameters": {"type": "object", "properties": {}}}  # fmt: skip
    response = client.responses.create(
        model=GENERATOR, input="What time is it?", tools=[tool], tool_choice="required",
        max_output_tokens=LIMIT, temperature=0, store=False,
    )  # fmt: skip
    assert response.status == "completed"
    assert [(item.type, getattr(item, "name", None)) for item in response.output] == [("function_call", "get_time")]
