"""The Messages face's request types (``api/anthropic/schema.py``) decode a body the way the face answers it:
each problem names its field as the client spelled it, never pydantic's union tags; nothing is coerced;
unknown fields are dropped; Claude Code's recorded first request reads into one system prompt and its turn."""

from __future__ import annotations

from typing import Any

import pytest

from hfgate.api.anthropic import schema
from hfgate.api.anthropic.requests import read_call
from hfgate.api.body import decode
from hfgate.errors import BadRequestError, EmptyInputError, RequestValidationError
from tests.support import agent_requests

HI: Any = {"role": "user", "content": "Hi"}


def _body(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 8, "messages": [HI]} | fields


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (_body(messages=[HI, {"role": "user", "content": [{"type": "document"}]}]), "messages[1].content[0].type",
         "is [document], which hfgate does not take here; expected one of 'text', 'image', 'tool_result'"),
        (_body(messages=[{"role": "bot", "content": "Hi"}]), "messages[0].role", "is [bot]"),
        (_body(messages=[{"role": "system", "content": 3}, HI]), "messages[0].content",
         "must be a string or an array of content blocks"),
        (_body(messages=[{"role": "user", "content": [{"type": "text", "text": 3}]}]), "messages[0].content[0].text",
         "must be a string, got [number]"),
        (_body(messages=[{"role": "assistant", "content": [{"type": "tool_use", "name": "f"}]}]),
         "messages[0].content[0].id", "is required"),
        ({"model": "m", "messages": [HI]}, "max_tokens", "is required"),
        ({"max_tokens": 8, "messages": [HI]}, "model", "is required: A chat endpoint's id (GET /v1/models)"),
        (_body(max_tokens="8"), "max_tokens", "must be an integer, got [string]"),
        (_body(tools=[{"name": "a b", "input_schema": {}}]), "tools[0].name", "must be 1-64 letters"),
        (_body(tools=[{"name": "f"}]), "tools[0].input_schema", "is required"),
        (_body(tool_choice={"type": "maybe"}), "tool_choice.type", "is [maybe]"),
        (_body(thinking={"type": "enabled", "budget_tokens": 0}), "thinking.budget_tokens", "greater than"),
    ],
)  # fmt: skip
def test_a_malformed_body_names_the_field_as_the_client_spelled_it(body: Any, field: str, words: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        decode(body, schema.MessagesRequest)
    assert caught.value.param == field
    assert f"Field [{field}] " in caught.value.problems[0]
    assert words in caught.value.problems[0]


def test_a_server_tool_is_refused_by_its_type_after_decoding() -> None:
    request = decode(_body(tools=[{"type": "web_search_20250305", "name": "web_search"}]), schema.MessagesRequest)
    with pytest.raises(BadRequestError, match=r"\[tools\[0\]\.type\] is \[web_search_20250305\]"):
        read_call(request)


def test_a_string_content_reads_as_its_text_block_and_unknown_fields_are_dropped() -> None:
    blocks: Any = [{"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}]
    as_string = read_call(decode(_body(service_tier="auto"), schema.MessagesRequest))
    as_blocks = read_call(decode(_body(messages=[{"role": "user", "content": blocks}]), schema.MessagesRequest))
    assert as_string.messages == as_blocks.messages


def test_claude_code_s_first_request_reads_into_one_system_prompt_and_its_turn() -> None:
    call = read_call(decode(agent_requests.load("claude-code")["body"], schema.MessagesRequest))
    assert [m.role for m in call.messages] == ["system", "user"]
    assert call.stream
    assert call.params.reasoning_effort == "high"
    assert len(call.tools) > 5


@pytest.mark.parametrize(
    "messages",
    [[{"role": "system", "content": []}], [{"role": "user", "content": []}],
     [{"role": "system", "content": ""}, {"role": "user", "content": []}]],
)  # fmt: skip
def test_messages_that_fold_to_no_message_are_refused_naming_messages(messages: Any) -> None:
    with pytest.raises(EmptyInputError) as caught:
        read_call(decode(_body(messages=messages), schema.MessagesRequest))
    assert caught.value.param == "messages"
    assert caught.value.status == 400
    assert "send at least one user message with a text block" in caught.value.problems[0]


def test_a_system_prompt_alone_is_a_conversation_of_one_system_message() -> None:
    call = read_call(
        decode(_body(system="Be brief.", messages=[{"role": "user", "content": []}]), schema.MessagesRequest)
    )
    assert [(m.role, m.content) for m in call.messages] == [("system", "Be brief.")]
