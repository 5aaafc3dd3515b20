"""Tools, tool calls and image parts on OpenAI's chat wire, as the router, vLLM, SGLang, TGI and
llama.cpp's server all take and give them.

Request: ``tools``, ``tool_choice``, ``parallel_tool_calls``; assistant messages with ``tool_calls``
(``content: null`` when there is no text), ``tool`` messages with ``tool_call_id``, content parts
``text`` and ``image_url``. Answer: ``message.tool_calls`` ``[{id, type, function: {name,
arguments}}]``; streamed, ``delta.tool_calls`` ``[{index, id?, type?, function: {name?, arguments}}]``.
Sources: OpenAI's Chat Completions reference; TGI's OpenAPI spec as huggingface_hub types it
(``ChatCompletionStreamOutputDeltaToolCall``: index, id, type, function.name, function.arguments);
vLLM's ``protocol.py`` (``DeltaToolCall``). Read leniently: TGI 2.x gave ``arguments`` as an object
and ``tool_calls`` as one object instead of an array; both are accepted.
"""

from __future__ import annotations

import json
from typing import Any

from hfgate.chat.messages import ChatMessage, ImagePart, TextPart
from hfgate.chat.tool_calls import new_call_id
from hfgate.chat.tools import Tool, ToolCall, ToolCallDelta, ToolChoice


def wire_message(m: ChatMessage) -> dict[str, Any]:
    """One message in OpenAI's shape."""
    message: dict[str, Any] = {"role": m.role, "content": _content(m)}
    if m.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]
    if m.tool_call_id is not None:
        message["tool_call_id"] = m.tool_call_id
    if m.name is not None:
        message["name"] = m.name
    return message


def _content(m: ChatMessage) -> Any:
    if m.parts:
        return [_part(p) for p in m.parts]
    if m.tool_calls and not m.content:
        return None
    return m.content


def _part(part: TextPart | ImagePart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    image: dict[str, Any] = {"url": part.url}
    if part.detail is not None:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


def tool_options(tools: tuple[Tool, ...], choice: ToolChoice | None, parallel: bool | None) -> dict[str, Any]:
    """``tools``, ``tool_choice`` and ``parallel_tool_calls`` as given (nothing when not given)."""
    body: dict[str, Any] = {}
    if tools:
        body["tools"] = [_tool(t) for t in tools]
    if choice is not None:
        body["tool_choice"] = (
            {"type": "function", "function": {"name": choice.name}} if choice.mode == "named" else choice.mode
        )
    if parallel is not None:
        body["parallel_tool_calls"] = parallel
    return body


def _tool(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        function["description"] = tool.description
    if tool.parameters is not None:
        function["parameters"] = tool.parameters
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def parse_tool_calls(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    """``message.tool_calls`` of a whole answer (none when absent)."""
    raw = message.get("tool_calls")
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    calls = []
    for item in items:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            continue
        call_id = item.get("id")
        calls.append(
            ToolCall(
                id=call_id if isinstance(call_id, str) and call_id else new_call_id(),
                name=function["name"],
                arguments=_arguments(function.get("arguments")),
            )
        )
    return tuple(calls)


def parse_tool_call_deltas(delta: dict[str, Any]) -> tuple[ToolCallDelta, ...]:
    """``delta.tool_calls`` of a streamed chunk (none when absent)."""
    raw = delta.get("tool_calls")
    if not raw:
        return ()
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    pieces = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        function = item["function"] if isinstance(item.get("function"), dict) else {}
        index, call_id, name = item.get("index", position), item.get("id"), function.get("name")
        pieces.append(
            ToolCallDelta(
                index=index if isinstance(index, int) else position,
                id=call_id if isinstance(call_id, str) and call_id else None,
                name=name if isinstance(name, str) and name else None,
                arguments=_arguments(function.get("arguments"), default=""),
            )
        )
    return tuple(pieces)


def _arguments(value: Any, *, default: str = "{}") -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return default
    return json.dumps(value, ensure_ascii=False)
