"""Chat messages in OpenAI's shape, which the Elasticsearch and OpenAI faces both accept."""

from __future__ import annotations

from typing import Any

from hfgate.api.body import json_type
from hfgate.errors import RequestValidationError
from hfgate.tasks import ChatMessage

ROLES = ("system", "developer", "user", "assistant", "tool")
"""The roles of OpenAI's chat messages; a chat template knows no others."""


def parse_messages(raw: Any) -> tuple[ChatMessage, ...]:
    """OpenAI-style messages; ``content`` is a string or a list of ``{"type": "text", "text": …}`` parts.

    Raises:
        RequestValidationError: missing, empty, or malformed messages, naming the index.
    """
    if not isinstance(raw, list) or not raw:
        raise RequestValidationError(["Field [messages] must be a non-empty array of messages"], param="messages")
    return tuple(_message(i, item) for i, item in enumerate(raw))


def _message(index: int, item: Any) -> ChatMessage:
    where = f"messages[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("role"), str):
        raise RequestValidationError([f"Field [{where}] must be an object with a string [role]"], param=where)
    if item["role"] not in ROLES:
        raise RequestValidationError(
            [f"Field [{where}.role] is [{item['role']}]; a message's role is one of [{', '.join(ROLES)}]"],
            param=f"{where}.role",
        )
    content = item.get("content")
    if isinstance(content, list):
        content = "".join(_text_part(where, part) for part in content)
    if not isinstance(content, str):
        raise RequestValidationError(
            [f"Field [{where}.content] must be a string or an array of text parts, got [{json_type(content)}]"],
            param=f"{where}.content",
        )
    return ChatMessage(role=item["role"], content=content)


def _text_part(where: str, part: Any) -> str:
    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
        text: str = part["text"]
        return text
    raise RequestValidationError(
        [f'Field [{where}.content] parts must be {{"type": "text", "text": "…"}}; other part types are not supported'],
        param=f"{where}.content",
    )
