"""Elasticsearch's ``chat_completion`` ``_stream`` with tools, in its unified schema and event envelope,
sent through Elasticsearch's official Python client against a live hfgate and its embedded SmolLM2.

Neither elasticsearch-py 8.19 nor 9.5 has a ``chat_completion_unified`` method (the Python client leaves
the streaming APIs out), so the request goes through the client's own ``perform_request``, as Kibana's
AI assistant sends it over REST.
"""

from __future__ import annotations

import json
from typing import Any

from elasticsearch import Elasticsearch

GENERATOR = ".smollm2-135m-instruct"
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
QUESTION = {"role": "user", "content": "What is the weather in Paris?"}


def streamed(es: Elasticsearch, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = es.perform_request(
        "POST", f"/_inference/chat_completion/{GENERATOR}/_stream", body=body,
        headers={"accept": "text/event-stream", "content-type": "application/json"},
    )  # fmt: skip
    text = answer.body if isinstance(answer.body, str) else answer.body.decode()
    assert "event: message" in text
    data = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d)["chat_completion"] for d in data[:-1]]


def test_kibana_style_tools_and_the_tool_result_turn(live_url: str) -> None:
    es = Elasticsearch(live_url, request_timeout=180)
    named = {"type": "function", "function": {"name": "get_weather"}}
    chunks = streamed(es, {"messages": [QUESTION], "tools": [WEATHER], "tool_choice": named,
                           "max_completion_tokens": 30})  # fmt: skip
    pieces = [p for c in chunks for p in c["choices"][0]["delta"].get("tool_calls", [])]
    head = pieces[0]
    assert (head["index"], head["type"], head["function"]) == (0, "function", {"arguments": "", "name": "get_weather"})
    arguments = "".join(p["function"]["arguments"] for p in pieces)
    assert json.loads(arguments)["city"] in ("Paris", "London", "Tokyo")
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert "content" not in chunks[0]["choices"][0]["delta"]
    turn = [
        QUESTION,
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": head["id"], "type": "function", "function": {"name": "get_weather", "arguments": arguments}}
        ]},
        {"role": "tool", "tool_call_id": head["id"], "content": "Sunny, 18C"},
    ]  # fmt: skip
    answer = streamed(es, {"messages": turn, "tools": [WEATHER], "tool_choice": "none", "max_completion_tokens": 12})
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in answer)
    assert answer[-1]["choices"][0]["finish_reason"] in ("length", "stop")
    es.close()
