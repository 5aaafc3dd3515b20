"""The OpenAI face's request types (``api/openai/schema.py``) decode a body the way the face answers it: each
problem names its field as the client spelled it (``messages[1].content[0].image_url.url``, never pydantic's
union tags); nothing is coerced; fields the schema does not name are accepted and passed through as sent; the
decoded request reads into hfgate's chat messages and tools; over HTTP a refusal is a 400 in OpenAI's shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hfgate.api import chat_schema
from hfgate.api.body import decode
from hfgate.api.openai import requests, schema
from hfgate.chat.messages import ImagePart, TextPart
from hfgate.config import Settings
from hfgate.errors import BadRequestError, RequestValidationError
from tests.conftest import app_client

HI: Any = {"role": "user", "content": "Hi"}


def _chat(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [HI]} | fields


@pytest.mark.parametrize(
    ("kind", "body", "field", "words"),
    [
        (schema.ChatRequest, _chat(messages=[{"role": "user", "content": 3}]), "messages[0].content",
         "must be a string or an array of parts, got [number]"),
        (schema.ChatRequest, _chat(messages=[HI, {"role": "user", "content": [{"type": "text", "text": 1}]}]),
         "messages[1].content[0].text", "must be a string, got [number]"),
        (schema.ChatRequest, _chat(messages=[{"role": "martian", "content": "Ack"}]), "messages[0].role",
         "is [martian]; a message's role is one of [system, developer, user, assistant, tool]"),
        (schema.ChatRequest, _chat(messages=[{"role": "user", "content": [{"type": "input_audio"}]}]),
         "messages[0].content[0].type", "is [input_audio], which hfgate does not take here"),
        (schema.ChatRequest,
         _chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}]),
         "messages[0].content[0].image_url.url", "must be an http(s):// url or a data:image/…;base64,… url"),
        (schema.ChatRequest, {"messages": [HI]}, "model", "is required: the id of an hfgate endpoint"),
        (schema.ChatRequest, _chat(messages="Hi"), "messages", "must be an array, got [string]"),
        (schema.ChatRequest, _chat(max_tokens="5"), "max_tokens", "must be an integer, got [string]"),
        (schema.ChatRequest, _chat(temperature="hot"), "temperature", "must be a number, got [string]"),
        (schema.ChatRequest, _chat(min_p="high"), "min_p", "must be a number, got [string]"),
        (schema.ChatRequest, _chat(logit_bias=[1]), "logit_bias", "must be an object, got [array]"),
        (schema.ChatRequest, _chat(stop=3), "stop", "must be a string or an array of strings, got [number]"),
        (schema.ChatRequest, _chat(stream_options={"include_usage": "yes"}), "stream_options.include_usage",
         "must be a boolean, got [string]"),
        (schema.ChatRequest, _chat(tools=[{"type": "function", "function": {"name": "a b"}}]),
         "tools[0].function.name", "must be 1 to 64 letters, digits, _ or -, got [a b]"),
        (schema.ChatRequest, _chat(tools=[{"type": "web_search"}]), "tools[0].type",
         "must be 'function', got [web_search]"),
        (schema.EmbeddingsRequest, {"model": "m", "input": [1, 2]}, "input",
         "must be a string or an array of strings, got [array]; token arrays are not supported, send text"),
        (schema.EmbeddingsRequest, {"model": "m", "input": "x", "encoding_format": "hex"}, "encoding_format",
         "must be 'float' or 'base64', got [hex]"),
        (schema.CompletionRequest, {"model": "m", "prompt": 5}, "prompt", "must be a string or an array of strings"),
        (schema.RerankRequest, {"model": "m", "query": "q", "documents": ["a", {"x": 1}]}, "documents[1]",
         "must be a string or an object with a [text] string, got [object]"),
        (schema.RerankRequest, {"model": "m", "documents": ["a"]}, "query", "is required"),
    ],
)  # fmt: skip
def test_a_malformed_body_names_the_field_as_the_client_spelled_it(
    kind: Any, body: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        decode(body, kind)
    assert caught.value.param == field
    assert f"Field [{field}] " in caught.value.problems[0]
    assert words in caught.value.problems[0]


def test_unknown_fields_are_accepted_and_passed_through_as_sent() -> None:
    body = _chat(temperature=1, min_p=0.05, chat_template_kwargs={"enable_thinking": False}, user="u1", n=None)
    params = requests.generation_params(decode(body, schema.ChatRequest), body)
    assert params.passthrough == {"min_p": 0.05, "chat_template_kwargs": {"enable_thinking": False}, "user": "u1"}
    assert (params.temperature, params.do_sample) == (1, True)


def test_a_conversation_reads_into_hfgates_messages_and_tools() -> None:
    image = {"type": "image_url", "image_url": "https://example.com/cat.png"}
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"}, image]},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "a cat"},
    ]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    body = _chat(messages=messages, tools=tools, tool_choice="f")
    request = decode(body, schema.ChatRequest)
    system, user, assistant, tool = chat_schema.chat_messages(request.messages)
    assert (system.content, system.parts) == ("Be brief.", ())
    assert user.parts == (TextPart(text="What is this?"), ImagePart(url="https://example.com/cat.png"))
    assert (assistant.content, assistant.tool_calls[0].name) == ("", "f")
    assert (tool.tool_call_id, tool.content) == ("c1", "a cat")
    fields = chat_schema.tool_fields(
        body, tools=request.tools, choice=request.tool_choice, parallel=request.parallel_tool_calls
    )
    assert (fields.tools[0].name, fields.tool_choice and fields.tool_choice.name) == ("f", "f")


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"role": "assistant"}, "messages[0].content"),
        ({"role": "tool", "content": "x"}, "messages[0].tool_call_id"),
        ({"role": "user", "content": None}, "messages[0].content"),
    ],
)
def test_what_a_turn_needs_beyond_its_types_is_refused_naming_the_field(message: Any, field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        chat_schema.chat_messages(decode(_chat(messages=[message]), schema.ChatRequest).messages)
    assert caught.value.param == field


def test_what_the_answer_cannot_carry_is_refused() -> None:
    for body in (_chat(logprobs=True), {"model": "m", "prompt": "a", "echo": True}):
        kind = schema.ChatRequest if "messages" in body else schema.CompletionRequest
        with pytest.raises(BadRequestError):
            requests.generation_params(decode(body, kind), body)


async def test_a_wrong_type_over_http_is_a_400_in_openais_shape_naming_the_field(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, log_format="text", registry_cache_seconds=0)
    body = {"model": ".smollm2-135m-instruct", "messages": [HI, {"role": "user", "content": 42}]}
    async with app_client(settings) as http:
        answer = await http.post("/v1/chat/completions", json=body)
        per_endpoint = await http.post("/hf/.smollm2-135m-instruct/v1/chat/completions", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"]) == ("invalid_request_error", "messages[1].content")
    assert "Field [messages[1].content] must be a string or an array of parts, got [number]" in error["message"]
    assert per_endpoint.status_code == 422  # under /hf/, TGI's status and shape for invalid input
    assert per_endpoint.json()["error_type"] == "validation"
    assert "Field [messages[1].content]" in per_endpoint.json()["error"]
