"""A Responses API conversation's items: read into one canonical shape, and turned into chat messages.

Source: OpenAI's Responses API reference (``input`` as a string or items; ``message`` items with
``input_text`` / ``input_image`` / ``output_text`` parts; ``function_call`` and ``function_call_output``
items). Items are kept in one canonical shape (``normalize_items``), the shape a stored conversation
holds, so that ``previous_response_id`` replays them exactly; ``to_messages`` turns a conversation into
chat messages for any endpoint.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from hfgate.api.body import json_type, prompt_texts
from hfgate.chat.messages import ChatMessage, ContentPart, ImagePart, TextPart
from hfgate.chat.tools import ToolCall
from hfgate.errors import BadRequestError, RequestValidationError

_ROLES = ("user", "system", "developer", "assistant")
_FILE_FIELDS = ("filename", "file_data", "file_url", "file_id")
_COMPACTED = "hfgate-compaction-v1:"


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


def check_call_outputs(conversation: list[dict[str, Any]], *, first_new: int) -> None:
    """Every ``function_call_output`` answers a ``function_call`` made before it in the conversation.

    Raises:
        RequestValidationError: one answers no call; names ``input[i].call_id`` (``i`` counted in the
            request's own items, which start at ``first_new`` of the conversation).
    """
    calls: set[str] = set()
    for index, item in enumerate(conversation):
        if item["type"] == "function_call":
            calls.add(item["call_id"])
        elif item["type"] == "function_call_output" and item["call_id"] not in calls:
            where = f"input[{index - first_new}].call_id" if index >= first_new else "previous_response_id"
            raise RequestValidationError(
                [f"Field [{where}] is [{item['call_id']}]: no function_call before it has that call_id; send the "
                 "call (or continue the response that made it with [previous_response_id]) before its output"],
                param=where,
            )  # fmt: skip


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
        elif kind == "compaction":  # the summary of the turns it replaced, as the assistant's own words
            messages.append(ChatMessage(role="assistant", content=compacted_summary(item["encrypted_content"])))
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


def refuse_parts(items: tuple[dict[str, Any], ...], *, reads_images: bool) -> None:
    """Refuse the first content part the endpoint cannot read, naming it (``input[i].content[j]``): a file
    (only an upstream serving the Responses API itself reads one; it is then relayed as sent), or an image
    when the endpoint's model reads text only.

    Raises:
        BadRequestError: naming the part and what to send instead.
    """
    for i, item in enumerate(items):
        parts = item["content"] if item["type"] == "message" else []
        for j, part in enumerate(parts):
            _refuse_part(f"input[{i}].content[{j}]", part["type"], reads_images=reads_images)


def _refuse_part(where: str, kind: str, *, reads_images: bool) -> None:
    if kind == "input_file":
        raise BadRequestError(
            f"[{where}] is a file ([input_file]); this endpoint's model reads text and images, not files: send the "
            "file's text as [input_text], or use an endpoint on an upstream serving the Responses API itself",
            param=where,
        )
    if kind == "input_image" and not reads_images:
        raise BadRequestError(
            f"[{where}] is an image ([input_image]), and this endpoint's model reads text only; send text, or use "
            "an endpoint whose model reads images (a hugging_face endpoint on a vision model)",
            param=where,
        )


def compaction_item(summary: str, *, item_id: str) -> dict[str, Any]:
    """A ``compaction`` item holding ``summary``; its ``encrypted_content`` is opaque to the client, encoded
    (not encrypted: it holds nothing the client did not send or receive)."""
    token = _COMPACTED + base64.urlsafe_b64encode(orjson.dumps({"summary": summary})).decode()
    return {"type": "compaction", "id": item_id, "encrypted_content": token}


def compacted_summary(token: str, *, where: str = "encrypted_content") -> str:
    """The summary a ``compaction`` item holds.

    Raises:
        RequestValidationError: the item was not made by hfgate's ``/v1/responses/compact``.
    """
    try:
        if not token.startswith(_COMPACTED):
            raise ValueError(token[:16])
        summary = orjson.loads(base64.urlsafe_b64decode(token.removeprefix(_COMPACTED)))["summary"]
        if not isinstance(summary, str):
            raise ValueError("summary")
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise RequestValidationError(
            [f"Field [{where}] was not made by hfgate's /v1/responses/compact; send the compaction item as it was "
             "returned, or the turns it replaced"],
            param=where,
        ) from exc  # fmt: skip
    return summary


def _chat_message(item: dict[str, Any]) -> ChatMessage:
    parts: list[ContentPart] = []
    for part in item["content"]:
        if part["type"] == "input_file":
            _refuse_part("a file part of the conversation", "input_file", reads_images=True)
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
    if kind == "compaction":  # what /v1/responses/compact gave, sent back in place of the turns it replaced
        token = _string(where, item, "encrypted_content")
        compacted_summary(token, where=f"{where}.encrypted_content")
        return {"type": "compaction", "id": item.get("id"), "encrypted_content": token}
    raise RequestValidationError(
        [
            f"Field [{where}.type] is [{kind}]; hfgate takes [message], [function_call], [function_call_output], "
            "[reasoning] and [compaction] items (send earlier turns as these, or continue with "
            "[previous_response_id])"
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
    phase = _phase(where, item)
    if isinstance(content, str):
        return {"type": "message", "role": role, "content": [{"type": text_type, "text": content}], **phase}
    if not isinstance(content, list):
        raise RequestValidationError(
            [f"Field [{where}.content] must be a string or an array of parts, got [{json_type(content)}]"],
            param=f"{where}.content",
        )
    parts = [_part(f"{where}.content[{j}]", part) for j, part in enumerate(content)]
    return {"type": "message", "role": role, "content": parts, **phase}


def _phase(where: str, item: dict[str, Any]) -> dict[str, str]:
    """An assistant message's ``phase`` (``commentary`` before tool calls, ``final_answer``: what Codex sends
    back from OpenAI's models), kept with the item: stored, listed, and relayed to an upstream serving the
    Responses API; a chat template has no place for it."""
    phase = item.get("phase")
    if phase is None:
        return {}
    if phase not in ("commentary", "final_answer"):
        raise RequestValidationError(
            [f'Field [{where}.phase] must be "commentary" or "final_answer", got [{phase}]'], param=f"{where}.phase"
        )
    return {"phase": phase}


def _part(where: str, part: Any) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text", "text") and isinstance(part.get("text"), str):
        return {"type": "output_text" if kind == "output_text" else "input_text", "text": part["text"]}
    if kind == "input_image":
        return _image(where, part)
    if kind == "input_file":  # kept as sent: only an upstream serving the Responses API reads it (refuse_parts)
        return {"type": "input_file", **{k: part[k] for k in _FILE_FIELDS if isinstance(part.get(k), str)}}
    raise RequestValidationError(
        [
            f'Field [{where}] must be {{"type": "input_text", "text": "…"}}, {{"type": "output_text", "text": "…"}}, '
            f'{{"type": "input_image", "image_url": "https://…"}} or {{"type": "input_file", …}}; '
            f"got [{kind or json_type(part)}]"
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
