"""Ending a JSON array at the first item that repeats an earlier one, while it is being generated.

``tool_choice: "required"`` holds a local model to an array of calls (``tool_grammar``); a small model
that may make several calls (OpenAI's default, ``parallel_tool_calls`` unset) tends to write the same
call again and again until the token limit. JSON schema cannot forbid a repeated item to the guiding
grammar (``uniqueItems`` is not something a grammar can hold), so the array is watched as it is written:

- a token that would close a repeated item and go on (SmolLM2 has ``},`` as one token) is masked out,
  leaving the ones that close the item alone (``}``) or the item and the array (``}]``);
- once an item repeats an earlier one, the next token may only close the array (``]``); where the
  grammar cannot take ``]`` there, only the end token is left, and the output ends with the array open.

Either way the repeat is dropped when the calls are read (``tool_parser``, which also reads the complete
calls of an array left open).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from typing import Any

_OPENS, _CLOSES, _QUOTE, _BACKSLASH = b"[{", b"]}", ord('"'), ord("\\")
_PEEK_AT_MOST = 64
"""Where the grammar allows few tokens (as where an item can close) each is tried; elsewhere none is."""


class RepeatedItems:
    """Follows the bytes of an array being written; ``repeated`` once its last complete item is a repeat.

    Args:
        decode: the bytes of tokens.
        close: the tokens that are exactly ``]`` (none: only the end token can end the array).
        end: the end tokens.

    Example:
        >>> watch = RepeatedItems(decode=bytes, close=[ord("]")], end=[0])
        >>> for byte in b'[{"a": 1}, {"a":1}':
        ...     watch.advance(byte)
        >>> watch.repeated
        True
    """

    def __init__(self, *, decode: Callable[[list[int]], bytes], close: Sequence[int], end: Sequence[int]) -> None:
        self._decode = decode
        self._close, self._end = tuple(close), tuple(end)
        self._item = bytearray()
        self._depth = 0
        self._in_string = self._escaped = False
        self._seen: set[str] = set()
        self.repeated = False
        self.ending = False
        """The end token was forced: the grammar is not to follow it."""

    def advance(self, token: int) -> None:
        for byte in self._decode([token]):
            self._step(byte)

    def restrict(self, allowed: Any) -> Any:
        """``allowed`` (a boolean array over the vocabulary) as this array lets it be."""
        import numpy as np

        if self.repeated:
            kept = _only(allowed, self._close)
            if kept.any():
                return kept
            self.ending = True
            return _only(np.ones_like(allowed), self._end)
        ids = np.flatnonzero(allowed)
        if self._depth < 2 or self._in_string or len(ids) > _PEEK_AT_MOST:
            return allowed
        out = allowed.copy()
        for token in ids:
            out[token] = not self._goes_past_a_repeat(int(token))
        return out if out.any() else allowed

    def _goes_past_a_repeat(self, token: int) -> bool:
        """Whether ``token`` would close an item that repeats an earlier one and carry on in the array."""
        trial = copy.copy(self)
        trial._item, trial._seen = bytearray(self._item), set(self._seen)
        data = self._decode([token])
        for at, byte in enumerate(data):
            trial._step(byte)
            if trial.repeated:
                rest = data[at + 1 :].strip()
                return bool(rest) and not rest.startswith(b"]")
        return False

    def _step(self, byte: int) -> None:
        if self._depth >= 2:
            self._item.append(byte)
        if self._in_string:
            self._escaped, self._in_string = (False, True) if self._escaped else (byte == _BACKSLASH, byte != _QUOTE)
            return
        if byte == _QUOTE:
            self._in_string = True
        elif byte in _OPENS:
            self._depth += 1
            if self._depth == 2:
                self._item = bytearray([byte])
        elif byte in _CLOSES:
            self._depth -= 1
            if self._depth == 1:
                self._finish_item()

    def _finish_item(self) -> None:
        key = _canonical(bytes(self._item))
        self.repeated = self.repeated or key in self._seen
        self._seen.add(key)


def _only(allowed: Any, tokens: tuple[int, ...]) -> Any:
    import numpy as np

    kept = np.zeros_like(allowed)
    for token in tokens:
        if token < allowed.size:
            kept[token] = allowed[token]
    return kept


def _canonical(item: bytes) -> str:
    """The item with its keys in order, so ``{"a": 1, "b": 2}`` repeats ``{"b":2,"a":1}``."""
    try:
        return json.dumps(json.loads(item), sort_keys=True)
    except ValueError:
        return item.decode("utf-8", "replace")
