"""A Responses API request body (``POST /v1/responses``) read into what a chat needs.

Source: OpenAI's Responses API reference (``input`` as a string or items; ``message`` items with
``input_text`` / ``input_image`` / ``output_text`` parts; ``function_call`` and ``function_call_output``
items; function ``tools`` in the flat ``{"type": "function", "name", "parameters"}`` shape;
``tool_choice`` ``auto`` / ``none`` / ``required`` / ``{"type": "function", "name"}``).

Items are kept in one canonical shape (``normalize_items``), the shape a stored conversation holds, so
that ``previous_response_id`` replays them exactly; ``to_messages`` turns a conversation into chat
messages for any endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hfgate.api.body import check_allowed, json_type, number, prompt_texts, typed
from hfgate.api.grammar import response_format_grammar
from hfgate.errors import BadRequestError, ParseError, RequestValidationError
from hfgate.tasks import ChatMessage, ContentPart, GenerationParams, ImagePart, TextPart, Tool, ToolCall, ToolChoice

FIELDS = (
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens",
    "temperature", "top_p", "stream", "stream_options", "store", "previous_response_id", "metadata", "text",
    "user", "truncation", "reasoning", "include", "service_tier", "prompt_cache_key", "safety_identifier",
    "top_logprobs", "background", "max_tool_calls", "prompt_cache_retention", "prompt_cache_options",
    "conversation", "prompt", "context_management",
)  # fmt: skip
"""Fields hfgate reads; a field outside these is refused, naming it. The prompt cache's hints are read and
ignored (hfgate keeps no prompt cache); ``reasoning`` is ignored (no model here reasons in hidden tokens)."""

_ROLES = ("user", "system", "developer", "assistant")
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponsesCall:
    """What one ``POST /v1/responses`` asks for.

    ``items`` are the request's own input items, canonical; ``echo`` holds the request fields the response
    object repeats (``tools``, ``tool_choice``, ``text``, ``metadata``…) as the client sent them.
    """

    model: str
    items: tuple[dict[str, Any], ...]
    instructions: str | None
    tools: tuple[Tool, ...]
    tool_choice: ToolChoice | None
    parallel_tool_calls: bool | None
    params: GenerationParams
    stream: bool
    store: bool
    previous_response_id: str | None
    echo: dict[str, Any] = field(default_factory=dict)


def read_call(body: dict[str, Any]) -> ResponsesCall:
    """The request, checked.

    Raises:
        ParseError, RequestValidationError, BadRequestError: a field is missing, malformed or unsupported;
            the message names it.
    """
    check_allowed(body, FIELDS)
    _refuse_unsupported(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ParseError("[model] is required: the id of an hfgate endpoint (GET /v1/models)", param="model")
    tools_raw = typed(body, "tools", kind=list, default=[])
    return ResponsesCall(
        model=model,
        items=normalize_items(body.get("input")),
        instructions=typed(body, "instructions", kind=str),
        tools=tuple(_tool(i, raw) for i, raw in enumerate(tools_raw)),
        tool_choice=_tool_choice(body.get("tool_choice")),
        parallel_tool_calls=typed(body, "parallel_tool_calls", kind=bool),
        params=_params(body),
        stream=bool(typed(body, "stream", kind=bool, default=False)),
        store=bool(typed(body, "store", kind=bool, default=True)),
        previous_response_id=typed(body, "previous_response_id", kind=str),
        echo=_echo(body, tools_raw),
    )


def normalize_items(raw: Any) -> tuple[dict[str, Any], ...]:
    """``input`` as canonical items: a string is one user message; each item is checked.

    Raises:
        RequestValidationError: ``input`` missing, or an item malformed (naming ``input[i]`` and the field).
    """
    if isinstance(raw, str):
        prompt_texts([raw], "input")
        return ({"type": "message", "role": "user", "content": [{"type": "input_text", "text": raw}]},)
    if not isinstance(raw, list) or not raw:
        raise RequestValidationError(
            [f"Field [input] must be a string or a non-empty array of items, got [{json_type(raw)}]"], param="input"
        )
    return tuple(_item(f"input[{i}]", item) for i, item in enumerate(raw))


def to_messages(conversation: list[dict[str, Any]], *, instructions: str | None) -> tuple[ChatMessage, ...]:
    """Chat messages for a conversation of canonical items: ``instructions`` first (as the system
    message), function calls joined to the assistant turn they belong to, their outputs as ``tool`` turns."""
    messages: list[ChatMessage] = [ChatMessage(role="system", content=instructions)] if instructions else []
    for item in conversation:
        kind = item["type"]
        if kind == "message":
            messages.append(_chat_message(item))
        elif kind == "function_call":
            call = ToolCall(id=item["call_id"], name=item["name"], arguments=item["arguments"])
            messages.append(_with_call(messages, call))
        else:  # function_call_output
            messages.append(ChatMessage(role="tool", content=item["output"], tool_call_id=item["call_id"]))
    return tuple(messages)


def _with_call(messages: list[ChatMessage], call: ToolCall) -> ChatMessage:
    """The assistant turn that makes ``call``: the previous one when it is an assistant turn, else a new one."""
    last = messages[-1] if messages else None
    if last is not None and last.role == "assistant":
        messages.pop()
        calls = (*last.tool_calls, call)
        return ChatMessage(role="assistant", content=last.content, parts=last.parts, tool_calls=calls)
    return ChatMessage(role="assistant", content="", tool_calls=(call,))


def _chat_message(item: dict[str, Any]) -> ChatMessage:
    parts: list[ContentPart] = []
    for part in item["content"]:
        if part["type"] == "input_image":
            parts.append(ImagePart(url=part["image_url"], detail=part.get("detail")))
        else:
            parts.append(TextPart(text=part["text"]))
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    images = any(isinstance(p, ImagePart) for p in parts)
    return ChatMessage(role=item["role"], content=text, parts=tuple(parts) if images else ())


def _item(where: str, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RequestValidationError([f"Field [{where}] must be an object, got [{json_type(item)}]"], param=where)
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        return _message_item(where, item)
    if kind == "function_call":
        return {
            "type": "function_call",
            "call_id": _string(where, item, "call_id"),
            "name": _string(where, item, "name"),
            "arguments": _string(where, item, "arguments", empty=True),
        }
    if kind == "function_call_output":
        call_id = _string(where, item, "call_id")
        return {"type": "function_call_output", "call_id": call_id, "output": _output(where, item)}
    raise RequestValidationError(
        [
            f"Field [{where}.type] is [{kind}]; hfgate takes [message], [function_call] and [function_call_output] "
            "items (send earlier turns as these, or continue with [previous_response_id])"
        ],
        param=f"{where}.type",
    )


def _message_item(where: str, item: dict[str, Any]) -> dict[str, Any]:
    role = item.get("role")
    if role not in _ROLES:
        raise RequestValidationError(
            [f"Field [{where}.role] is [{role}]; a message item's role is one of [{', '.join(_ROLES)}]"],
            param=f"{where}.role",
        )
    content = item.get("content")
    text_type = "output_text" if role == "assistant" else "input_text"
    if isinstance(content, str):
        return {"type": "message", "role": role, "content": [{"type": text_type, "text": content}]}
    if not isinstance(content, list):
        raise RequestValidationError(
            [f"Field [{where}.content] must be a string or an array of parts, got [{json_type(content)}]"],
            param=f"{where}.content",
        )
    parts = [_part(f"{where}.content[{j}]", part) for j, part in enumerate(content)]
    return {"type": "message", "role": role, "content": parts}


def _part(where: str, part: Any) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
        return {"type": "output_text" if kind == "output_text" else "input_text", "text": part["text"]}
    if kind == "input_image":
        return _image(where, part)
    raise RequestValidationError(
        [
            f'Field [{where}] must be {{"type": "input_text", "text": "…"}}, {{"type": "output_text", "text": "…"}} '
            f'or {{"type": "input_image", "image_url": "https://…"}}; got [{kind or json_type(part)}]'
        ],
        param=where,
    )


def _image(where: str, part: dict[str, Any]) -> dict[str, Any]:
    url = part.get("image_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "data:image/")):
        reason = "uploaded files ([file_id]) are not kept by hfgate; " if part.get("file_id") else ""
        raise RequestValidationError(
            [f"Field [{where}.image_url] must be an http(s):// url or a data:image/…;base64,… url; {reason}"
             f"got [{json_type(url)}]"],
            param=f"{where}.image_url",
        )  # fmt: skip
    image = {"type": "input_image", "image_url": url}
    detail = part.get("detail")
    if detail is not None:
        if detail not in ("auto", "low", "high"):
            raise RequestValidationError(
                [f"Field [{where}.detail] must be one of [auto, low, high], got [{detail}]"], param=f"{where}.detail"
            )
        image["detail"] = detail
    return image


def _output(where: str, item: dict[str, Any]) -> str:
    """A function call's output: a string, or (newer clients) an array of text parts, joined."""
    output = item.get("output")
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(isinstance(p, dict) and isinstance(p.get("text"), str) for p in output):
        return "".join(p["text"] for p in output)
    raise RequestValidationError(
        [f"Field [{where}.output] must be a string (the function's result), got [{json_type(output)}]"],
        param=f"{where}.output",
    )


def _string(where: str, item: dict[str, Any], name: str, *, empty: bool = False) -> str:
    value = item.get(name)
    if not isinstance(value, str) or (not value and not empty):
        raise RequestValidationError(
            [f"Field [{where}.{name}] must be a non-empty string, got [{json_type(value)}]"], param=f"{where}.{name}"
        )
    return value


def _tool(index: int, raw: Any) -> Tool:
    where = f"tools[{index}]"
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind != "function":
        raise BadRequestError(
            f"[{where}.type] is [{kind or json_type(raw)}]; hfgate runs function tools only "
            '({"type": "function", "name", "parameters"}): built-in tools (web search, files, computer use) '
            "are not available",
            param=f"{where}.type",
        )
    name = raw.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise RequestValidationError(
            [f"Field [{where}.name] must be 1-64 letters, digits, _ or -, got [{name}]"], param=f"{where}.name"
        )
    parameters = typed(raw, "parameters", kind=dict)
    description = typed(raw, "description", kind=str)
    return Tool(name=name, description=description, parameters=parameters, strict=typed(raw, "strict", kind=bool))


def _tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    if raw in ("auto", "none", "required"):
        return ToolChoice(mode=raw)
    if isinstance(raw, dict) and raw.get("type") == "function" and isinstance(raw.get("name"), str):
        return ToolChoice(mode="named", name=raw["name"])
    raise RequestValidationError(
        ['Field [tool_choice] must be "auto", "none", "required" or {"type": "function", "name": "…"}'],
        param="tool_choice",
    )


def _params(body: dict[str, Any]) -> GenerationParams:
    temperature = number(body, "temperature")
    return GenerationParams(
        max_new_tokens=typed(body, "max_output_tokens", kind=int),
        temperature=temperature,
        top_p=number(body, "top_p"),
        do_sample=None if temperature is None else temperature > 0,
        grammar=response_format_grammar(_text_format(body)),
    )


def _text_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """``text.format`` in chat's ``response_format`` shape (the schema's fields sit one level up here)."""
    text = typed(body, "text", kind=dict, default={})
    fmt = text.get("format")
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return fmt if isinstance(fmt, dict) or fmt is None else {"type": fmt}
    spec = {name: fmt[name] for name in ("name", "schema", "strict") if name in fmt}
    return {"type": "json_schema", "json_schema": spec}


def _echo(body: dict[str, Any], tools_raw: list[Any]) -> dict[str, Any]:
    metadata = typed(body, "metadata", kind=dict, default={})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise RequestValidationError(["Field [metadata] must map strings to strings"], param="metadata")
    text = typed(body, "text", kind=dict) or {"format": {"type": "text"}}
    return {
        "tools": tools_raw,
        "tool_choice": body.get("tool_choice") or "auto",
        "text": text,
        "metadata": metadata,
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "user": body.get("user"),
        "truncation": body.get("truncation") or "disabled",
    }


def _refuse_unsupported(body: dict[str, Any]) -> None:
    if body.get("background"):
        raise BadRequestError("[background] responses are not supported; send the request and wait", param="background")
    if body.get("top_logprobs") not in (None, 0):
        raise BadRequestError("[top_logprobs] is not supported by hfgate's Responses API", param="top_logprobs")
    for name, instead in (("conversation", "[previous_response_id]"), ("prompt", "[instructions] and [input]"),
                          ("context_management", "a shorter [input]")):  # fmt: skip
        if body.get(name) is not None:
            raise BadRequestError(f"[{name}] is not supported by hfgate's Responses API; use {instead}", param=name)
    if body.get("max_tool_calls") is not None:
        raise BadRequestError("[max_tool_calls] is not supported; leave it out", param="max_tool_calls")
    if body.get("truncation") not in (None, "auto", "disabled"):
        raise RequestValidationError(['Field [truncation] must be "auto" or "disabled"'], param="truncation")
    include = typed(body, "include", kind=list, default=[])
    if include:
        raise BadRequestError(
            f"[include] asks for {include}; hfgate's responses carry no extra data to include, send [include: []]",
            param="include",
        )
