"""A local model's tool calls read out of its text, whole or as it streams.

Two formats are read, as vLLM's ``hermes`` and JSON tool parsers read them:

- Hermes-style blocks, ``<tool_call>{"name": "f", "arguments": {…}}</tool_call>``, anywhere in the
  answer (the text around them is the content; a block left open when the model stops is read too);
- bare JSON: an answer that is only ``{"name": "f", "arguments": {…}}`` (``parameters`` is read as
  ``arguments``, as Llama 3.1 writes it) or an array of those, naming declared tools. This is also the
  shape that ``tool_choice: required`` holds the model to (``tool_grammar``). Of an array cut by the token
  limit, the complete calls are read; a call that repeats an earlier one in the array is dropped.

While streaming, text that may be the start of a ``<tool_call>`` tag is held back until it is known,
and an answer that opens with ``{`` or ``[`` is held until it ends, so the markup never reaches the
content. A block that does not parse is given back as text (as vLLM does), so nothing is lost.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from hfgate.chat.tool_calls import ToolCallJoiner, call_deltas, new_call_id
from hfgate.chat.tools import ToolCall, ToolCallDelta

OPEN, CLOSE = "<tool_call>", "</tool_call>"

Read = tuple[str, tuple[ToolCallDelta, ...]]
"""Content text to pass on, and pieces of the calls found."""

NOTHING: Read = ("", ())


class ToolCallReader:
    """Splits an answer into content and calls of the tools named ``names``, piece by piece.

    >>> reader = ToolCallReader({"f"})
    >>> reader.feed('Sure. <tool_ca')
    ('Sure. ', ())
    >>> text, calls = reader.feed('ll>{"name": "f", "arguments": {"x": 1}}</tool_call>')
    >>> (text, calls[0].name, calls[1].arguments)
    ('', 'f', '{"x": 1}')
    """

    __slots__ = ("_after_call", "_calls", "_mode", "_names", "_pending")

    def __init__(self, names: Collection[str]) -> None:
        self._names = names
        self._pending = ""
        self._mode = "start"  # start (only spaces so far), text, call (inside a block), json (bare JSON)
        self._calls = 0
        self._after_call = False

    @property
    def calls(self) -> int:
        """Calls found so far."""
        return self._calls

    def feed(self, text: str) -> Read:
        self._pending += text
        out: list[str] = []
        found: list[ToolCallDelta] = []
        while self._step(out, found):
            pass
        return "".join(out), tuple(found)

    def close(self) -> Read:
        """What is left once the model has stopped."""
        pending, self._pending = self._pending, ""
        if self._mode == "json":
            calls = _bare_calls(pending, self._names)
            return ("", self._deltas(calls)) if calls else (pending, ())
        if self._mode == "call":
            call = _call(pending, names=None)
            return ("", self._deltas([call])) if call else (OPEN + pending, ())
        return ("" if self._after_call and not pending.strip() else pending), ()

    def _step(self, out: list[str], found: list[ToolCallDelta]) -> bool:
        """One move of the state machine; False when it needs more text."""
        if self._mode == "start":
            stripped = self._pending.lstrip()
            if not stripped:
                return False
            self._mode = "json" if stripped[0] in "{[" else "text"
            return self._mode == "text"
        if self._mode == "text":
            return self._in_text(out)
        if self._mode == "call":
            return self._in_call(out, found)
        return False  # json: held whole until the end

    def _in_text(self, out: list[str]) -> bool:
        if self._after_call:
            self._pending = self._pending.lstrip()
            self._after_call = not self._pending
        at = self._pending.find(OPEN)
        if at >= 0:
            out.append(self._pending[:at])
            self._pending, self._mode = self._pending[at + len(OPEN) :], "call"
            return True
        keep = _partial_tag(self._pending)
        out.append(self._pending[: len(self._pending) - keep])
        self._pending = self._pending[len(self._pending) - keep :]
        return False

    def _in_call(self, out: list[str], found: list[ToolCallDelta]) -> bool:
        at = self._pending.find(CLOSE)
        if at < 0:
            return False
        body, self._pending = self._pending[:at], self._pending[at + len(CLOSE) :]
        call = _call(body, names=None)
        if call is None:
            out.append(OPEN + body + CLOSE)
        else:
            found.extend(self._deltas([call]))
            self._after_call = True
        self._mode = "text"
        return True

    def _deltas(self, calls: list[ToolCall]) -> tuple[ToolCallDelta, ...]:
        pieces: list[ToolCallDelta] = []
        for call in calls:
            pieces.extend(call_deltas(self._calls, call))
            self._calls += 1
        return tuple(pieces)


def read_whole(text: str, names: Collection[str]) -> tuple[str, tuple[ToolCall, ...]]:
    """A finished answer's content and calls."""
    reader = ToolCallReader(names)
    joiner = ToolCallJoiner()
    parts = []
    for read in (reader.feed(text), reader.close()):
        parts.append(read[0])
        joiner.add(read[1])
    content = "".join(parts)
    return (content.strip() if joiner else content), joiner.calls()


def _partial_tag(text: str) -> int:
    """How many of ``text``'s last characters may begin ``<tool_call>``."""
    for size in range(min(len(OPEN) - 1, len(text)), 0, -1):
        if OPEN.startswith(text[-size:]):
            return size
    return 0


def _bare_calls(text: str, names: Collection[str]) -> list[ToolCall] | None:
    """The calls of bare JSON: one object or an array of them; of an array cut short (the token limit), the
    complete calls it holds; a call that repeats an earlier one is dropped (``repeated_items``)."""
    items = _json_items(text)
    calls = [_from_object(item, names=names) for item in items or ()]
    if not calls or any(c is None for c in calls):
        return None
    return _distinct([c for c in calls if c is not None])


def _json_items(text: str) -> list[Any] | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return _complete_items(text.strip())
    return value if isinstance(value, list) else [value]


def _complete_items(text: str) -> list[Any] | None:
    """The whole items at the start of an array that does not end (``None`` when there are none).

    Example:
        >>> _complete_items('[{"a": 1}, {"b": [2')
        [{'a': 1}]
    """
    if not text.startswith("["):
        return None
    decoder, at = json.JSONDecoder(), 1
    items: list[Any] = []
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        try:
            item, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return items or None
        items.append(item)


def _distinct(calls: list[ToolCall]) -> list[ToolCall]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for call in calls:
        key = (call.name, _canonical(call.arguments))
        if key not in seen:
            seen.add(key)
            kept.append(call)
    return kept


def _canonical(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except json.JSONDecodeError:
        return arguments


def _call(body: str, *, names: Collection[str] | None) -> ToolCall | None:
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        return None
    return _from_object(value, names=names)


def _from_object(value: Any, *, names: Collection[str] | None) -> ToolCall | None:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    if names is not None and value["name"] not in names:
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCall(id=new_call_id(), name=value["name"], arguments=text)
