"""Gemini's answers, built from a chat's result: ``GenerateContentResponse`` whole or as streamed chunks.

Source: the Gemini API reference, ``GenerateContentResponse``: ``candidates[{content: {role: "model",
parts}, finishReason, index}]``, ``usageMetadata`` (``promptTokenCount``, ``candidatesTokenCount``,
``totalTokenCount``, ``thoughtsTokenCount``), ``modelVersion``, ``responseId``. ``finishReason`` is
``STOP`` for an end token, a stop sequence or function calls, ``MAX_TOKENS`` at the length limit. A
stream (``streamGenerateContent?alt=sse``) is one ``data:`` event per chunk, each a whole response
object holding the new parts; the last carries ``finishReason``, the usage and every function call
(Gemini sends a call whole, never in pieces); no end marker follows.
"""

from __future__ import annotations

import os
from typing import Any

from hfgate.chat.tools import ToolCall, ToolCallDelta
from hfgate.tasks import FinishReason, Generation, GenerationDelta, Usage


def finish_reason(reason: FinishReason) -> str:
    return "MAX_TOKENS" if reason == "length" else "STOP"


def usage_metadata(usage: Usage) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "promptTokenCount": usage.prompt_tokens,
        "candidatesTokenCount": usage.completion_tokens,
        "totalTokenCount": usage.total_tokens,
    }
    if usage.reasoning_tokens:
        metadata["thoughtsTokenCount"] = usage.reasoning_tokens
    return metadata


def function_call(call: ToolCall) -> dict[str, Any]:
    """A call as a ``functionCall`` part (arguments that are not a JSON object kept, see ``arguments_object``)."""
    return {"functionCall": {"id": call.id, "name": call.name, "args": call.arguments_object()}}


def response(
    parts: list[dict[str, Any]], *, model: str, response_id: str, finish: FinishReason | None = None,
    usage: Usage | None = None,
) -> dict[str, Any]:  # fmt: skip
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish_reason(finish)
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": response_id}
    if usage is not None:
        body["usageMetadata"] = usage_metadata(usage)
    return body


def new_id() -> str:
    return os.urandom(12).hex()


def whole(result: Generation, *, model: str, thoughts: bool) -> dict[str, Any]:
    """The answer to ``generateContent``: thinking (when asked for), the text, then each call."""
    parts: list[dict[str, Any]] = [{"text": result.reasoning, "thought": True}] if thoughts and result.reasoning else []
    if result.text or not result.tool_calls:
        parts.append({"text": result.text})
    parts.extend(function_call(call) for call in result.tool_calls)
    return response(parts, model=model, response_id=new_id(), finish=result.finish_reason, usage=result.usage)


class Chunks:
    """A streamed answer's chunks, one per delta with something to say; calls held until the end."""

    def __init__(self, *, model: str, thoughts: bool) -> None:
        self._model = model
        self._thoughts = thoughts
        self._id = new_id()
        self._calls: dict[int, list[str]] = {}  # index → [id, name, arguments so far]

    def delta(self, delta: GenerationDelta) -> dict[str, Any] | None:
        """The chunk for ``delta`` (``None`` when it has nothing yet to send)."""
        for piece in delta.tool_calls:
            self._add(piece)
        parts: list[dict[str, Any]] = []
        if self._thoughts and delta.reasoning:
            parts.append({"text": delta.reasoning, "thought": True})
        if delta.text:
            parts.append({"text": delta.text})
        if delta.finish_reason is not None:
            parts.extend(function_call(ToolCall(id=i, name=n, arguments=a)) for i, n, a in self._calls.values())
            usage = delta.usage or Usage()
            return response(parts, model=self._model, response_id=self._id, finish=delta.finish_reason, usage=usage)
        return response(parts, model=self._model, response_id=self._id) if parts else None

    def end(self) -> dict[str, Any]:
        """The last chunk of a stream that ended without saying why (it ended normally)."""
        return self.delta(GenerationDelta(text="", finish_reason="eos_token")) or {}

    def _add(self, piece: ToolCallDelta) -> None:
        call = self._calls.setdefault(piece.index, ["", "", ""])
        call[0] = piece.id or call[0] or f"call_{piece.index}"
        call[1] = piece.name or call[1]
        call[2] += piece.arguments
