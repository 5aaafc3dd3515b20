"""A Messages API conversation (``system`` and ``messages``) read into chat messages.

Source: Anthropic's Messages API reference. A message is ``{"role": "user" | "assistant", "content"}``;
``content`` is a string or an array of blocks: ``text``; ``image`` with a ``source`` of type ``base64``
(``media_type``, ``data``) or ``url``; in assistant turns ``tool_use`` (``id``, ``name``, ``input``) and
``thinking`` / ``redacted_thinking``; in user turns ``tool_result`` (``tool_use_id``, ``content`` a
string or text blocks, ``is_error``). ``system`` is a string or an array of text blocks.

A user turn's ``tool_result`` blocks become ``tool`` turns (before the rest of its content, as Anthropic
requires them first); an assistant turn's ``tool_use`` blocks become its tool calls. Thinking blocks sent
back are dropped: no chat template reads a model's earlier reasoning back. ``cache_control`` on any block
is read and ignored (hfgate keeps no prompt cache).

A ``system`` message inside ``messages`` (Claude Code since 2.1.154 puts its environment block there) is
not a turn: its text joins the system prompt, after ``system`` and after any earlier such message, as
vLLM does since its PR #44283 (left in place, a chat template either refuses a system turn after the first
or reads it as the user's words, and tool calling suffers: vLLM issue #48874).
"""

from __future__ import annotations

from typing import Any

import orjson

from hfgate.api.body import json_type
from hfgate.chat.messages import ChatMessage, ContentPart, ImagePart, TextPart
from hfgate.chat.tools import ToolCall
from hfgate.errors import RequestValidationError

_IGNORED = frozenset({"thinking", "redacted_thinking"})


def conversation(system: Any, messages: Any) -> tuple[ChatMessage, ...]:
    """``system`` and ``messages`` as chat turns: one system message first (``system``, then the text of
    every ``system`` message of ``messages``, in order), then the user and assistant turns.

    Raises:
        RequestValidationError: missing or malformed messages, naming ``messages[i]`` and the field.
    """
    if not isinstance(messages, list) or not messages:
        raise RequestValidationError(["Field [messages] must be a non-empty array of messages"], param="messages")
    prompts = [_system_text("system", system)] if system is not None else []
    turns: list[ChatMessage] = []
    for i, item in enumerate(messages):
        if isinstance(item, dict) and item.get("role") == "system":
            prompts.append(_system_text(f"messages[{i}].content", item.get("content")))
        else:
            turns.extend(_turn(f"messages[{i}]", item))
    prompt = "\n\n".join(p for p in prompts if p)
    return (ChatMessage(role="system", content=prompt), *turns) if prompt else tuple(turns)


def _system_text(where: str, raw: Any) -> str:
    """A system prompt's text: a string, or text blocks joined by a blank line."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in raw):
        return "\n\n".join(_text(f"{where}[{i}]", b) for i, b in enumerate(raw))
    raise _invalid(where, 'must be a string or an array of text blocks [{"type": "text", "text": "…"}]', raw)


def _turn(where: str, item: Any) -> list[ChatMessage]:
    role = item.get("role") if isinstance(item, dict) else None
    if role not in ("user", "assistant"):
        raise _invalid(f"{where}.role", 'must be "user", "assistant" or "system"', role)
    content = item.get("content")
    if isinstance(content, str):
        return [ChatMessage(role=role, content=content)]
    if not isinstance(content, list):
        raise _invalid(f"{where}.content", "must be a string or an array of content blocks", content)
    blocks = [(f"{where}.content[{j}]", _block(f"{where}.content[{j}]", b)) for j, b in enumerate(content)]
    return _assistant(blocks) if role == "assistant" else _user(blocks)


def _block(where: str, block: Any) -> dict[str, Any]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise _invalid(where, 'must be a content block with a [type] ("text", "image", "tool_use", …)', block)
    return block


def _assistant(blocks: list[tuple[str, dict[str, Any]]]) -> list[ChatMessage]:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for where, block in blocks:
        kind = block["type"]
        if kind == "text":
            texts.append(_text(where, block))
        elif kind == "tool_use":
            calls.append(_tool_use(where, block))
        elif kind not in _IGNORED:
            raise _unsupported(where, kind, 'an assistant turn holds "text", "tool_use" and "thinking" blocks')
    return [ChatMessage(role="assistant", content="".join(texts), tool_calls=tuple(calls))]


def _user(blocks: list[tuple[str, dict[str, Any]]]) -> list[ChatMessage]:
    results: list[ChatMessage] = []
    parts: list[ContentPart] = []
    for where, block in blocks:
        kind = block["type"]
        if kind == "tool_result":
            results.append(_tool_result(where, block))
        elif kind == "text":
            parts.append(TextPart(text=_text(where, block)))
        elif kind == "image":
            parts.append(_image(where, block))
        else:
            raise _unsupported(where, kind, 'a user turn holds "text", "image" and "tool_result" blocks')
    if not parts:
        return results
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    images = any(isinstance(p, ImagePart) for p in parts)
    return [*results, ChatMessage(role="user", content=text, parts=tuple(parts) if images else ())]


def _text(where: str, block: dict[str, Any]) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        raise _invalid(f"{where}.text", "must be a string", text)
    return text


def _tool_use(where: str, block: dict[str, Any]) -> ToolCall:
    call_id, name, arguments = block.get("id"), block.get("name"), block.get("input", {})
    if not isinstance(call_id, str) or not call_id:
        raise _invalid(f"{where}.id", "must be the tool call's id, a non-empty string", call_id)
    if not isinstance(name, str) or not name:
        raise _invalid(f"{where}.name", "must be the tool's name, a non-empty string", name)
    if not isinstance(arguments, dict):
        raise _invalid(f"{where}.input", "must be an object (the tool's arguments)", arguments)
    return ToolCall(id=call_id, name=name, arguments=orjson.dumps(arguments).decode())


def _tool_result(where: str, block: dict[str, Any]) -> ChatMessage:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str) or not call_id:
        raise _invalid(f"{where}.tool_use_id", "must be the id of the tool_use block it answers", call_id)
    content = block.get("content", "")
    if isinstance(content, list):
        content = "".join(_result_text(f"{where}.content[{k}]", part) for k, part in enumerate(content))
    if not isinstance(content, str):
        raise _invalid(f"{where}.content", "must be a string or an array of text blocks", content)
    if block.get("is_error") is True:
        content = f"Error: {content}"
    return ChatMessage(role="tool", content=content, tool_call_id=call_id)


def _result_text(where: str, part: Any) -> str:
    if isinstance(part, dict) and part.get("type") == "text":
        return _text(where, part)
    kind = part.get("type") if isinstance(part, dict) else json_type(part)
    raise _unsupported(where, str(kind), "a tool result's content is text here; send images in a user text turn")


def _image(where: str, block: dict[str, Any]) -> ImagePart:
    source = block.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    if kind == "base64" and isinstance(source, dict):
        media, data = source.get("media_type"), source.get("data")
        if not isinstance(media, str) or not media.startswith("image/") or not isinstance(data, str) or not data:
            raise _invalid(f"{where}.source", 'must hold [media_type] ("image/png", …) and base64 [data]', source)
        return ImagePart(url=f"data:{media};base64,{data}")
    if kind == "url" and isinstance(source, dict):
        url = source.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _invalid(f"{where}.source.url", "must be an http(s):// url", url)
        return ImagePart(url=url)
    raise _invalid(f"{where}.source", 'must be {"type": "base64", "media_type", "data"} or {"type": "url", "url"}',
                   source)  # fmt: skip


def _invalid(where: str, rule: str, value: Any) -> RequestValidationError:
    shown = value if isinstance(value, str) and len(value) <= 40 else json_type(value)
    return RequestValidationError([f"Field [{where}] {rule}, got [{shown}]"], param=where)


def _unsupported(where: str, kind: str, rule: str) -> RequestValidationError:
    return RequestValidationError(
        [f"Field [{where}.type] is [{kind}], which hfgate does not take; {rule}"], param=f"{where}.type"
    )
