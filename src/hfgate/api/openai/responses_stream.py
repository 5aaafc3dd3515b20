"""A chat's streamed deltas as the Responses API's stream events.

Source: OpenAI's Responses API streaming reference: ``response.created``, ``response.in_progress``, then per
output item ``response.output_item.added``; for reasoning ``response.reasoning_text.delta``…,
``response.reasoning_text.done`` (as vLLM streams a reasoning model's thinking); for a message
``response.content_part.added``, ``response.output_text.delta``…, ``response.output_text.done``,
``response.content_part.done``; for a function call ``response.function_call_arguments.delta``…,
``response.function_call_arguments.done``; each item ends with ``response.output_item.done``, and the stream
with ``response.completed`` (or ``response.incomplete`` when the answer was cut at ``max_output_tokens``).
Every event carries a ``sequence_number``, counted from 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hfgate.api.openai import responses_shapes as shapes
from hfgate.api.sse import sse
from hfgate.chat.tools import ToolCall, ToolCallDelta
from hfgate.tasks import FinishReason, GenerationDelta, Usage

ResponseBuilder = Callable[[list[dict[str, Any]], FinishReason | None, Usage | None], dict[str, Any]]
"""Builds the response object from its output items, finish reason (None: in progress) and usage."""


class ResponseEvents:
    """One stream's events; ``output`` holds the finished items for the stored response."""

    def __init__(self, build: ResponseBuilder) -> None:
        self._build = build
        self._sequence = 0
        self.output: list[dict[str, Any]] = []
        self.response: dict[str, Any] | None = None
        self._text: list[str] | None = None  # the open message item's text, when one is open
        self._call: dict[str, Any] | None = None  # the open function call item
        self._call_index: int | None = None
        self._reasoning: list[str] | None = None  # the open reasoning item's text, when one is open

    def start(self) -> bytes:
        in_progress = self._build([], None, None)
        return self._event("response.created", response=in_progress) + self._event(
            "response.in_progress", response=in_progress
        )

    def delta(self, delta: GenerationDelta) -> bytes:
        out = self._reasoning_delta(delta.reasoning) if delta.reasoning else b""
        if delta.text:
            out += self._text_delta(delta.text)
        for piece in delta.tool_calls:
            out += self._call_delta(piece)
        return out

    def finish(self, reason: FinishReason, counts: Usage) -> bytes:
        out = self._close_reasoning() + self._close_message() + self._close_call()
        self.response = self._build(self.output, reason, counts)
        kind = "response.incomplete" if self.response["status"] == "incomplete" else "response.completed"
        return out + self._event(kind, response=self.response)

    def _reasoning_delta(self, text: str) -> bytes:
        out = b""
        if self._reasoning is None:
            self._reasoning, self._reasoning_id = [], shapes.new_id("rs")
            item = shapes.reasoning_item("", item_id=self._reasoning_id, status="in_progress")
            out += self._event("response.output_item.added", output_index=len(self.output), item=item)
        self._reasoning.append(text)
        return out + self._event(
            "response.reasoning_text.delta",
            item_id=self._reasoning_id, output_index=len(self.output), content_index=0, delta=text,
        )  # fmt: skip

    def _close_reasoning(self) -> bytes:
        if self._reasoning is None:
            return b""
        text = "".join(self._reasoning)
        item = shapes.reasoning_item(text, item_id=self._reasoning_id)
        self._reasoning = None
        return self._item_done(item, ("response.reasoning_text.done", {"content_index": 0, "text": text}))

    def _text_delta(self, text: str) -> bytes:
        out = self._close_reasoning() + self._close_call()
        if self._text is None:
            out += self._open_message()
        assert self._text is not None
        self._text.append(text)
        index = len(self.output)
        return out + self._event(
            "response.output_text.delta",
            item_id=self._item_id, output_index=index, content_index=0, delta=text, logprobs=[],
        )  # fmt: skip

    def _open_message(self) -> bytes:
        self._text, self._item_id = [], shapes.new_id("msg")
        index = len(self.output)
        item = shapes.message_item("", item_id=self._item_id, status="in_progress")
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        return self._event("response.output_item.added", output_index=index, item=item) + self._event(
            "response.content_part.added", item_id=self._item_id, output_index=index, content_index=0, part=part
        )

    def _close_message(self) -> bytes:
        if self._text is None:
            return b""
        text = "".join(self._text)
        item = shapes.message_item(text, item_id=self._item_id)
        self._text = None
        return self._item_done(
            item,
            ("response.output_text.done", {"content_index": 0, "text": text, "logprobs": []}),
            ("response.content_part.done", {"content_index": 0, "part": item["content"][0]}),
        )

    def _call_delta(self, piece: ToolCallDelta) -> bytes:
        out = b""
        if piece.index != self._call_index:
            out += self._close_reasoning() + self._close_message() + self._close_call() + self._open_call(piece)
        assert self._call is not None
        if piece.arguments:
            self._call["arguments"] += piece.arguments
            out += self._event(
                "response.function_call_arguments.delta",
                item_id=self._call["id"], output_index=len(self.output), delta=piece.arguments,
            )  # fmt: skip
        return out

    def _open_call(self, piece: ToolCallDelta) -> bytes:
        call = ToolCall(id=piece.id or shapes.new_id("call"), name=piece.name or "", arguments="")
        self._call = shapes.call_item(call, item_id=shapes.new_id("fc"), status="in_progress")
        self._call_index = piece.index
        return self._event("response.output_item.added", output_index=len(self.output), item=dict(self._call))

    def _close_call(self) -> bytes:
        if self._call is None:
            return b""
        item = {**self._call, "status": "completed"}
        self._call, self._call_index = None, None
        done = {"name": item["name"], "arguments": item["arguments"]}
        return self._item_done(item, ("response.function_call_arguments.done", done))

    def _item_done(self, item: dict[str, Any], *closing: tuple[str, dict[str, Any]]) -> bytes:
        """``closing``'s events for ``item``, now the next output item, then ``response.output_item.done``."""
        index = len(self.output)
        self.output.append(item)
        out = b"".join(self._event(kind, item_id=item["id"], output_index=index, **more) for kind, more in closing)
        return out + self._event("response.output_item.done", output_index=index, item=item)

    def whole_item(self, item: dict[str, Any]) -> bytes:
        """An item that comes whole (a compaction): ``response.output_item.added``, then ``…done``."""
        index = len(self.output)
        self.output.append(item)
        added = self._event("response.output_item.added", output_index=index, item=item)
        return added + self._event("response.output_item.done", output_index=index, item=item)

    def error(self, message: str, code: str, kind: str = "server_error") -> bytes:
        """OpenAI's error event (``code``, ``message`` at the top) that also carries Open Responses' ``error``
        payload (openresponses/openresponses, ``schema/events.tsp``, ``ErrorStreamingEvent``)."""
        payload = {"type": kind, "code": code, "message": message, "param": None}
        return self._event("error", code=code, message=message, param=None, error=payload)

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return sse(data, event=kind)
