"""A Responses API conversation's items: read into one canonical shape, and turned into chat messages.

Source: OpenAI's Responses API reference (``input`` as a string or items; ``message`` items with
``input_text`` / ``input_image`` / ``output_text`` parts; ``function_call`` and ``function_call_output``
items). Items are kept in one canonical shape (``normalize_items``), the shape a stored conversation
holds, so that ``previous_response_id`` replays them exactly; ``to_messages`` turns a conversation into
chat messages for any endpoint.
"""

from __future__ import annotations

from typing import Any

from hfgate.api.body import json_type, prompt_texts
from hfgate.chat.messages import ChatMessage, ContentPart, ImagePart, TextPart
from hfgate.chat.tools import ToolCall
from hfgate.errors import RequestValidationError

_ROLES = ("user", "system", "developer", "assistant")


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
        elif kind == "reasoning":  # a model's earlier thinking: no chat template reads it back
            continue
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
    if kind == "reasoning":  # sent back by clients that replay a reasoning model's output (Codex)
        return {"type": "reasoning", "id": item.get("id"), "summary": item.get("summary") or []}
    raise RequestValidationError(
        [
            f"Field [{where}.type] is [{kind}]; hfgate takes [message], [function_call], [function_call_output] "
            "and [reasoning] items (send earlier turns as these, or continue with [previous_response_id])"
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
