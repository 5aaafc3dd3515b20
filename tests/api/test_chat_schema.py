"""Chat messages and tools in OpenAI's shape, decoded below the faces (the OpenAI, TGI and Elasticsearch chat
bodies share them): messages with parts and tool calls, tools and tool_choice."""

from __future__ import annotations

from typing import Any

import pytest

from hfgate.api import chat_schema
from hfgate.api.body import decode
from hfgate.api.openai.schema import ChatBody
from hfgate.api.tools import NO_TOOLS, ToolFields
from hfgate.chat.messages import ChatMessage, ImagePart, TextPart
from hfgate.chat.tool_calls import ToolCallJoiner, call_deltas
from hfgate.chat.tools import ToolCall, ToolCallDelta, ToolChoice
from hfgate.errors import RequestValidationError

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "strict": True,
    },
}


def parse_messages(messages: list[Any]) -> tuple[ChatMessage, ...]:
    return chat_schema.chat_messages(decode({"messages": messages}, ChatBody).messages)


def tool_fields(body: dict[str, Any]) -> ToolFields:
    chat = decode({"messages": [{"role": "user", "content": "hi"}], **body}, ChatBody)
    return chat_schema.tool_fields(body, tools=chat.tools, choice=chat.tool_choice, parallel=chat.parallel_tool_calls)


def test_an_agent_second_turn_parses_assistant_tool_calls_with_null_content_and_the_tool_answer() -> None:
    messages = parse_messages(
        [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ]
    )
    assert messages[1].content == ""
    assert messages[1].tool_calls == (ToolCall(id="call_1", name="get_weather", arguments='{"city":"Paris"}'),)
    assert (messages[2].role, messages[2].tool_call_id, messages[2].content) == ("tool", "call_1", "18C")


def test_image_parts_are_kept_in_order_with_the_text_joined() -> None:
    (message,) = parse_messages(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is "},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                    {"type": "text", "text": "this?"},
                ],
            }
        ]
    )
    assert message.content == "What is this?"
    assert message.parts == (
        TextPart(text="What is "),
        ImagePart(url="data:image/png;base64,iVBORw0KGgo=", detail="low"),
        TextPart(text="this?"),
    )


def test_text_only_parts_stay_a_plain_string() -> None:
    (message,) = parse_messages([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
    assert (message.content, message.parts) == ("hi", ())


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ({"role": "tool", "content": "18C"}, "messages[0].tool_call_id"),
        ({"role": "assistant", "content": None}, "messages[0].content"),
        ({"role": "user", "content": None}, "messages[0].content"),
        ({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]},
         "messages[0].content[0].image_url.url"),
        ({"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}, "messages[0].content[0].type"),
        ({"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"arguments": "{}"}}]},
         "messages[0].tool_calls[0].function.name"),
    ],
)  # fmt: skip
def test_malformed_messages_are_refused_naming_the_field(message: dict[str, Any], named: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        parse_messages([message])
    assert f"[{named}]" in str(caught.value)


def test_tools_and_a_named_choice_parse() -> None:
    fields = tool_fields(
        {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
         "parallel_tool_calls": False}
    )  # fmt: skip
    (tool,) = fields.tools
    assert (tool.name, tool.description, tool.strict) == ("get_weather", "Weather in a city", True)
    assert tool.parameters == WEATHER["function"]["parameters"]  # type: ignore[index]
    assert fields.tool_choice == ToolChoice(mode="named", name="get_weather")
    assert fields.parallel_tool_calls is False


def test_tgis_plain_string_naming_a_declared_tool_is_a_named_choice() -> None:
    assert tool_fields({"tools": [WEATHER], "tool_choice": "get_weather"}).tool_choice == ToolChoice(
        mode="named", name="get_weather"
    )
    assert tool_fields({"tools": [WEATHER], "tool_choice": {"function": {"name": "get_weather"}}}).tool_choice == (
        ToolChoice(mode="named", name="get_weather")
    )


def test_a_body_without_tools_costs_one_lookup() -> None:
    assert tool_fields({"messages": []}) is NO_TOOLS


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
         "tool_choice.function.name"),
        ({"tools": [WEATHER], "tool_choice": "sometimes"}, "tool_choice"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"tools": [{"type": "function", "function": {"name": "has space"}}]}, "tools[0].function.name"),
        ({"tools": [WEATHER, WEATHER]}, "tools[1].function.name"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": "{}"}}]},
         "tools[0].function.parameters"),
        ({"tools": [WEATHER], "parallel_tool_calls": "yes"}, "parallel_tool_calls"),
    ],
)  # fmt: skip
def test_malformed_tools_are_refused_naming_the_field(body: dict[str, Any], named: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        tool_fields(body)
    assert f"[{named}]" in str(caught.value)


def test_streamed_pieces_join_into_the_calls() -> None:
    first, second = (
        ToolCall(id="call_a", name="f", arguments='{"x": 1}'),
        ToolCall(id="call_b", name="g", arguments="{}"),
    )
    joiner = ToolCallJoiner()
    for index, call in enumerate((first, second)):
        joiner.add(call_deltas(index, call))
    joiner.add([ToolCallDelta(index=1, arguments="")])
    assert joiner.calls() == (first, second)
