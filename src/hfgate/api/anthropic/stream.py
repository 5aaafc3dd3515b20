"""A chat's streamed deltas as the Messages API's stream events.

Source: Anthropic's Messages API reference, "Streaming Messages": ``message_start`` (the message with
empty content), a ``ping``, then per content block ``content_block_start``, its
``content_block_delta`` events (``thinking_delta``, ``text_delta``, or ``input_json_delta`` with
``partial_json`` for a ``tool_use`` block) and ``content_block_stop``; then ``message_delta`` (the
``stop_reason``, ``stop_sequence`` and the usage) and ``message_stop``. An error after the start is an
``error`` event. Each event is framed ``event: <type>`` / ``data: <json>``.
"""

from __future__ import annotations

from typing import Any

from hfgate.api.anthropic import shapes
from hfgate.api.sse import sse
from hfgate.chat.tools import ToolCall, ToolCallDelta
from hfgate.tasks import FinishReason, GenerationDelta, Usage


class MessageEvents:
    """One stream's events, block by block; ``index`` counts the blocks opened so far."""

    def __init__(self, *, model: str, stops: tuple[str, ...]) -> None:
        self._model = model
        self._stops = stops
        self._id = shapes.new_id("msg")
        self._open: str | None = None  # the open block's kind: thinking, text or tool_use
        self._call_index: int | None = None  # the open tool_use block's index among the answer's calls
        self._blocks = 0

    def start(self) -> bytes:
        empty = shapes.message(message_id=self._id, model=self._model, content=[], finish=None, stop_sequence=None,
                               counts=Usage())  # fmt: skip
        return _event("message_start", message=empty) + _event("ping")

    def delta(self, delta: GenerationDelta) -> bytes:
        out = b""
        if delta.reasoning:
            out += self._into("thinking", shapes.thinking_block(""))
            out += self._delta({"type": "thinking_delta", "thinking": delta.reasoning})
        if delta.text:
            out += self._into("text", {"type": "text", "text": ""})
            out += self._delta({"type": "text_delta", "text": delta.text})
        for piece in delta.tool_calls:
            out += self._call(piece)
        return out

    def finish(self, reason: FinishReason, counts: Usage, *, stop_sequence: str | None) -> bytes:
        out = b"" if self._blocks or self._open else self._into("text", {"type": "text", "text": ""})
        out += self._close()
        met = stop_sequence or (self._stops[0] if len(self._stops) == 1 else None)
        change = {
            "stop_reason": shapes.stop_reason(reason),
            "stop_sequence": met if reason == "stop_sequence" else None,
        }
        usage = {"input_tokens": counts.prompt_tokens, "output_tokens": counts.completion_tokens}
        return out + _event("message_delta", delta=change, usage=usage) + _event("message_stop")

    @staticmethod
    def error(error: dict[str, Any]) -> bytes:
        return sse(error, event="error")

    def _call(self, piece: ToolCallDelta) -> bytes:
        out = b""
        if self._open != "tool_use" or piece.index != self._call_index:
            call = ToolCall(id=piece.id or shapes.new_id("toolu"), name=piece.name or "", arguments="{}")
            out += self._close() + self._begin("tool_use", shapes.tool_use_block(call))
            self._call_index = piece.index
        if piece.arguments:
            out += self._delta({"type": "input_json_delta", "partial_json": piece.arguments})
        return out

    def _into(self, kind: str, block: dict[str, Any]) -> bytes:
        """Keep writing the open block of this kind, or close the open one and begin a new one."""
        return b"" if self._open == kind else self._close() + self._begin(kind, block)

    def _begin(self, kind: str, block: dict[str, Any]) -> bytes:
        self._open = kind
        return _event("content_block_start", index=self._blocks, content_block=block)

    def _delta(self, change: dict[str, Any]) -> bytes:
        return _event("content_block_delta", index=self._blocks, delta=change)

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open, self._call_index = None, None
        self._blocks += 1
        return _event("content_block_stop", index=self._blocks - 1)


def _event(kind: str, **fields: Any) -> bytes:
    return sse({"type": kind, **fields}, event=kind)
