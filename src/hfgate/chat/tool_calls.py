"""Tool calls between their two shapes: whole (``ToolCall``) and streamed (``ToolCallDelta``).

A stream gives each call's ``index``, ``id`` and ``name`` on its first piece and fragments of its
arguments after; ``ToolCallJoiner`` puts them back together (for a face answering whole from a stream,
or a service reading an upstream's stream). ``call_deltas`` cuts a whole call the way OpenAI streams one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from hfgate.chat.tools import ToolCall, ToolCallDelta


def new_call_id() -> str:
    """A fresh call id in OpenAI's form (``call_`` and 24 letters and digits)."""
    return "call_" + secrets.token_hex(12)


def call_deltas(index: int, call: ToolCall) -> tuple[ToolCallDelta, ToolCallDelta]:
    """A whole call as OpenAI streams it: the head (index, id, name, empty arguments), then the arguments."""
    return (
        ToolCallDelta(index=index, id=call.id, name=call.name),
        ToolCallDelta(index=index, arguments=call.arguments),
    )


class ToolCallJoiner:
    """Collects streamed pieces and says the whole calls, in index order.

    >>> joiner = ToolCallJoiner()
    >>> joiner.add([ToolCallDelta(index=0, id="call_1", name="f"), ToolCallDelta(index=0, arguments='{"a"')])
    >>> joiner.add([ToolCallDelta(index=0, arguments=": 1}")])
    >>> joiner.calls()
    (ToolCall(id='call_1', name='f', arguments='{"a": 1}'),)
    """

    __slots__ = ("_arguments", "_ids", "_names")

    def __init__(self) -> None:
        self._ids: dict[int, str] = {}
        self._names: dict[int, str] = {}
        self._arguments: dict[int, list[str]] = {}

    def add(self, deltas: Iterable[ToolCallDelta]) -> None:
        for delta in deltas:
            if delta.id:
                self._ids[delta.index] = delta.id
            if delta.name:  # sent once by OpenAI; some servers repeat it on every piece
                self._names.setdefault(delta.index, delta.name)
            self._arguments.setdefault(delta.index, []).append(delta.arguments)

    def __bool__(self) -> bool:
        return bool(self._arguments)

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(
                id=self._ids.get(i) or new_call_id(), name=self._names.get(i, ""), arguments="".join(self._arguments[i])
            )
            for i in sorted(self._arguments)
        )
