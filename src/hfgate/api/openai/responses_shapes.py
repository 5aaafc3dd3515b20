"""Response objects of the Responses API, built from a chat's result.

Source: OpenAI's Responses API reference (the ``response`` object; ``message`` output items with
``output_text`` parts; ``function_call`` output items; ``usage`` with ``input_tokens_details`` and
``output_tokens_details``), as the openai package's ``Response`` model reads them.
"""

from __future__ import annotations

import os
import time
from typing import Any

from hfgate.chat.tools import ToolCall
from hfgate.tasks import FinishReason, Generation, GenerationParams, Usage


def new_id(prefix: str) -> str:
    return f"{prefix}_{os.urandom(12).hex()}"


def message_item(text: str, *, item_id: str, status: str = "completed") -> dict[str, Any]:
    done = status == "completed"
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}] if done else []
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content}


def reasoning_item(text: str, *, item_id: str, status: str = "completed") -> dict[str, Any]:
    """A reasoning model's thinking, its text as ``reasoning_text`` content (as vLLM's Responses API gives
    it: ``vllm/entrypoints/openai/responses``); no summary, and nothing encrypted."""
    content = [{"type": "reasoning_text", "text": text}] if status == "completed" else []
    return {"type": "reasoning", "id": item_id, "status": status, "summary": [], "content": content}


def call_item(call: ToolCall, *, item_id: str, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call.id,
        "name": call.name,
        "arguments": call.arguments,
        "status": status,
    }


def output_items(result: Generation) -> list[dict[str, Any]]:
    """The answer's items: its reasoning (when the model gave it apart), its text as one message (when
    there is text), then each function call."""
    items = [reasoning_item(result.reasoning, item_id=new_id("rs"))] if result.reasoning else []
    if result.text or not result.tool_calls:
        items.append(message_item(result.text, item_id=new_id("msg")))
    items.extend(call_item(call, item_id=new_id("fc")) for call in result.tool_calls)
    return items


def replayable(output: list[Any]) -> list[dict[str, Any]]:
    """The output items a later turn replays (``previous_response_id``), on any endpoint: messages (their
    ``output_text`` parts) and function calls. Other items an upstream may add (reasoning, its own tool
    runs) are not kept: no chat template reads them back."""
    kept: list[dict[str, Any]] = []
    for item in output:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "function_call":
            kept.append(item)
        elif kind == "message":
            parts = [p for p in item.get("content") or [] if isinstance(p, dict) and p.get("type") == "output_text"]
            kept.append(dict(item, role="assistant", content=parts))
    return kept


def sampling(params: GenerationParams) -> dict[str, Any]:
    """The sampling values the response object reports: the request's, else the endpoint's, else the
    defaults the Open Responses spec documents (temperature and top_p 1, penalties 0). The spec's
    ``ResponseResource`` requires each as a number, never null (openresponses/openresponses,
    ``schema/responses.tsp``)."""
    extra = params.passthrough
    return {
        "temperature": 1.0 if params.temperature is None else params.temperature,
        "top_p": 1.0 if params.top_p is None else params.top_p,
        "presence_penalty": _number(extra.get("presence_penalty")),
        "frequency_penalty": _number(extra.get("frequency_penalty")),
    }


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def usage(counts: Usage) -> dict[str, Any]:
    return {
        "input_tokens": counts.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": counts.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": counts.reasoning_tokens or 0},
        "total_tokens": counts.total_tokens,
    }


def response_object(
    *, response_id: str, created_at: int, model: str, echo: dict[str, Any], instructions: str | None,
    max_output_tokens: int | None, parallel_tool_calls: bool | None, previous_response_id: str | None,
    store: bool, output: list[dict[str, Any]], finish: FinishReason | None, counts: Usage | None,
) -> dict[str, Any]:  # fmt: skip
    """The ``response`` object; ``finish`` ``None`` means still in progress (the stream's first events).

    Every field of the Open Responses ``ResponseResource`` is present (openresponses/openresponses,
    ``schema/responses.tsp``); ``echo`` gives the request's own (``ResponsesCall.echo``, ``sampling``).
    """
    incomplete = finish == "length"
    status = "in_progress" if finish is None else "incomplete" if incomplete else "completed"
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "completed_at": None if finish is None else int(time.time()),
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": instructions,
        "max_output_tokens": max_output_tokens,
        "model": model,
        "output": output,
        "parallel_tool_calls": True if parallel_tool_calls is None else parallel_tool_calls,
        "previous_response_id": previous_response_id,
        "reasoning": {"effort": None, "summary": None},
        "store": store,
        "background": False,
        "service_tier": "default",
        "top_logprobs": 0,
        "max_tool_calls": None,
        "safety_identifier": None,
        "prompt_cache_key": None,
        **echo,
        "usage": None if counts is None else usage(counts),
    }
