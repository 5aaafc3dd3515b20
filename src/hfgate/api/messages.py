"""Chat messages in OpenAI's shape, as the Elasticsearch face reads them (the OpenAI face decodes the same
shape with its request types, ``api/openai/schema.py``, sharing ``ROLES`` and ``IMAGE_URL_SCHEMES``).

A message is ``{"role", "content"}``; ``content`` is a string or an array of parts (``text``, and
``image_url`` with an ``http(s)://`` or ``data:image/…`` url). An assistant message may carry
``tool_calls`` (then ``content`` may be null); a ``tool`` message answers one with ``tool_call_id``.
Source: OpenAI's Chat Completions API reference (``messages``), and Elasticsearch's unified chat
completion schema (same fields, text parts only).
"""

from __future__ import annotations

from typing import Any

from hfgate.api.body import json_type
from hfgate.chat.messages import ChatMessage, ContentPart, ImagePart, TextPart
from hfgate.chat.tools import ToolCall
from hfgate.errors import RequestValidationError

ROLES = ("system", "developer", "user", "assistant", "tool")
"""The roles of OpenAI's chat messages; a chat template knows no others."""

_PLAIN_ROLES = frozenset({"system", "user", "developer"})
IMAGE_URL_SCHEMES = ("http://", "https://", "data:image/")
"""What an ``image_url`` part's url may start with: a url the model's server fetches, or the image inline."""


def parse_messages(raw: Any) -> tuple[ChatMessage, ...]:
    """OpenAI-style messages.

    Raises:
        RequestValidationError: missing, empty, or malformed messages, naming the index and the field.
    """
    if not isinstance(raw, list) or not raw:
        raise RequestValidationError(["Field [messages] must be a non-empty array of messages"], param="messages")
    return tuple(_message(i, item) for i, item in enumerate(raw))


def _message(index: int, item: Any) -> ChatMessage:
    where = f"messages[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("role"), str):
        raise RequestValidationError([f"Field [{where}] must be an object with a string [role]"], param=where)
    role = item["role"]
    if role not in ROLES:
        raise RequestValidationError(
            [f"Field [{where}.role] is [{role}]; a message's role is one of [{', '.join(ROLES)}]"],
            param=f"{where}.role",
        )
    content = item.get("content")
    if isinstance(content, str) and (role in _PLAIN_ROLES or (role == "assistant" and "tool_calls" not in item)):
        return ChatMessage(role=role, content=content)  # the common case, kept plain
    return _full_message(where, role, item)


def _full_message(where: str, role: str, item: dict[str, Any]) -> ChatMessage:
    tool_calls = _tool_calls(where, item.get("tool_calls")) if role == "assistant" else ()
    content, parts = _content(where, item.get("content"), nullable=bool(tool_calls) or role == "assistant")
    if role == "assistant" and item.get("content") is None and not tool_calls:
        raise RequestValidationError(
            [f"Field [{where}.content] is required unless the assistant message has [tool_calls]"],
            param=f"{where}.content",
        )
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise RequestValidationError(
            [f"Field [{where}.name] must be a string, got [{json_type(name)}]"], param=f"{where}.name"
        )
    return ChatMessage(
        role=role,
        content=content,
        parts=parts,
        tool_calls=tool_calls,
        tool_call_id=_tool_call_id(where, item) if role == "tool" else None,
        name=name,
    )


def _content(where: str, content: Any, *, nullable: bool) -> tuple[str, tuple[ContentPart, ...]]:
    if isinstance(content, str):
        return content, ()
    if content is None and nullable:
        return "", ()
    if not isinstance(content, list):
        raise RequestValidationError(
            [f"Field [{where}.content] must be a string or an array of parts, got [{json_type(content)}]"],
            param=f"{where}.content",
        )
    parts = tuple(_part(f"{where}.content[{j}]", part) for j, part in enumerate(content))
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    if all(isinstance(p, TextPart) for p in parts):
        return text, ()
    return text, parts


def _part(where: str, part: Any) -> ContentPart:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return TextPart(text=part["text"])
    if kind == "image_url":
        return _image(where, part.get("image_url"))
    raise RequestValidationError(
        [
            f'Field [{where}] must be a text part {{"type": "text", "text": "…"}} or an image part '
            f'{{"type": "image_url", "image_url": {{"url": "https://…"}}}}; got [{kind or json_type(part)}]'
        ],
        param=where,
    )


def _image(where: str, image: Any) -> ImagePart:
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url.startswith(IMAGE_URL_SCHEMES):
        raise RequestValidationError(
            [
                f"Field [{where}.image_url.url] must be an http(s):// url or a data:image/…;base64,… url, "
                f"got [{_shorten(url)}]"
            ],
            param=f"{where}.image_url.url",
        )
    detail = image.get("detail") if isinstance(image, dict) else None
    if detail is not None and detail not in ("auto", "low", "high"):
        raise RequestValidationError(
            [f"Field [{where}.image_url.detail] must be one of [auto, low, high], got [{_shorten(detail)}]"],
            param=f"{where}.image_url.detail",
        )
    return ImagePart(url=url, detail=detail)


def _tool_calls(where: str, raw: Any) -> tuple[ToolCall, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RequestValidationError(
            [f"Field [{where}.tool_calls] must be an array of tool calls, got [{json_type(raw)}]"],
            param=f"{where}.tool_calls",
        )
    return tuple(_tool_call(f"{where}.tool_calls[{k}]", call) for k, call in enumerate(raw))


def _tool_call(where: str, call: Any) -> ToolCall:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or call.get("type", "function") != "function":
        raise RequestValidationError(
            [
                f'Field [{where}] must be {{"id": "…", "type": "function", "function": '
                f'{{"name": "…", "arguments": "{{…}}"}}}}'
            ],
            param=where,
        )
    call_id, name, arguments = call.get("id"), function.get("name"), function.get("arguments", "{}")
    for field, value in (("id", call_id), ("function.name", name), ("function.arguments", arguments)):
        if not isinstance(value, str) or (field != "function.arguments" and not value):
            raise RequestValidationError(
                [f"Field [{where}.{field}] must be a non-empty string, got [{json_type(value)}]"],
                param=f"{where}.{field}",
            )
    return ToolCall(id=str(call_id), name=str(name), arguments=str(arguments))


def _tool_call_id(where: str, item: dict[str, Any]) -> str:
    value = item.get("tool_call_id")
    if not isinstance(value, str) or not value:
        raise RequestValidationError(
            [
                f"Field [{where}.tool_call_id] is required: a tool message answers the assistant's tool call "
                "with that id"
            ],
            param=f"{where}.tool_call_id",
        )
    return value


def _shorten(value: Any) -> str:
    text = value if isinstance(value, str) else json_type(value)
    return text if len(text) <= 40 else text[:40] + "…"
