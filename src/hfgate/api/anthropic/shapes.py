"""The Messages API's ``message`` object, built from a chat's result.

Source: Anthropic's Messages API reference: ``{"id": "msg_…", "type": "message", "role": "assistant",
"content": [blocks], "model", "stop_reason", "stop_sequence", "usage": {"input_tokens",
"output_tokens"}}``; ``stop_reason`` is ``end_turn``, ``max_tokens``, ``stop_sequence`` or ``tool_use``;
content blocks ``thinking`` (``thinking``, ``signature``), ``text``, ``tool_use`` (``id``, ``name``,
``input``), in that order.
"""

from __future__ import annotations

import os
from typing import Any

from hfgate.chat.tools import ToolCall
from hfgate.tasks import FinishReason, Generation, Usage

_STOP_REASONS: dict[str, str] = {"length": "max_tokens", "stop_sequence": "stop_sequence", "tool_calls": "tool_use"}


def new_id(prefix: str) -> str:
    return f"{prefix}_{os.urandom(12).hex()}"


def stop_reason(reason: FinishReason | None) -> str | None:
    """Anthropic's stop reason: an end token is ``end_turn``."""
    return None if reason is None else _STOP_REASONS.get(reason, "end_turn")


def usage(counts: Usage) -> dict[str, Any]:
    return {
        "input_tokens": counts.prompt_tokens,
        "output_tokens": counts.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def thinking_block(text: str) -> dict[str, Any]:
    """A thinking block; the signature is empty: hfgate's upstreams sign nothing, and nothing checks it here."""
    return {"type": "thinking", "thinking": text, "signature": ""}


def tool_use_block(call: ToolCall) -> dict[str, Any]:
    """A call as a ``tool_use`` block (arguments that are not a JSON object kept, see ``arguments_object``)."""
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments_object()}


def content_blocks(result: Generation) -> list[dict[str, Any]]:
    """Thinking, then the text (kept when empty and nothing else was said), then each tool call."""
    blocks = [thinking_block(result.reasoning)] if result.reasoning else []
    if result.text or not result.tool_calls:
        blocks.append({"type": "text", "text": result.text})
    blocks.extend(tool_use_block(call) for call in result.tool_calls)
    return blocks


def message(
    *, message_id: str, model: str, content: list[dict[str, Any]], finish: FinishReason | None,
    stop_sequence: str | None, counts: Usage,
) -> dict[str, Any]:  # fmt: skip
    """The ``message`` object; ``finish`` ``None`` for the one ``message_start`` carries."""
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(finish),
        "stop_sequence": stop_sequence if finish == "stop_sequence" else None,
        "usage": usage(counts),
    }


def whole(result: Generation, *, model: str, stops: tuple[str, ...]) -> dict[str, Any]:
    """The answer to an unstreamed request; a stop sequence not named by the engine is the only one asked for."""
    met = result.stop_sequence or (stops[0] if len(stops) == 1 else None)
    return message(
        message_id=new_id("msg"), model=model, content=content_blocks(result), finish=result.finish_reason,
        stop_sequence=met, counts=result.usage,
    )  # fmt: skip
