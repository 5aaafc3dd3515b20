"""Closing a JSON string that a model has started to repeat, while it is being written.

Held to a schema, a small model often loops inside a free string until the token limit (an example:
docs/api/guided-generation.md), so the answer ends in the middle of the JSON and no client can read it.
The strings are watched as they are written: once one ends with a span of at least ``MIN_SPAN`` bytes
written twice in a row, the next token may only be one the grammar allows that starts with ``"``, which
closes the string (the one repeat stays in it), and the grammar goes on to what the schema asks next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MIN_SPAN = 12
"""Shorter repeats are words, not loops (``"ha ha ha"``, ``"1, 2, 1, 2"``)."""
_LONGEST_LOOK = 400
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


class LoopingStrings:
    """Follows the bytes of a JSON text; ``looping`` while the string being written ends in a repeat.

    Args:
        decode: the bytes of tokens.
        closers: the tokens that start with ``"`` (a boolean array over the vocabulary), made when first needed.

    Example:
        >>> watch = LoopingStrings(decode=bytes, closers=lambda: None)
        >>> for byte in b'{"a": "the cat sat, the cat sat, ':
        ...     watch.advance(byte)
        >>> watch.looping
        True
    """

    def __init__(self, *, decode: Callable[[list[int]], bytes], closers: Callable[[], Any]) -> None:
        self._decode = decode
        self._closers = closers
        self._text = bytearray()
        self._in_string = self._escaped = False
        self.looping = False

    def advance(self, token: int) -> None:
        for byte in self._decode([token]):
            self._step(byte)
        self.looping = self._in_string and _ends_in_a_repeat(self._text)

    def restrict(self, allowed: Any) -> Any:
        """``allowed`` (a boolean array over the vocabulary) left to the tokens that close the string
        when it loops (as it is when none of those is allowed)."""
        if not self.looping:
            return allowed
        kept = allowed & self._closers()[: allowed.size]
        return kept if kept.any() else allowed

    def _step(self, byte: int) -> None:
        if not self._in_string:
            self._in_string = byte == _QUOTE
            self._text.clear()
        elif self._escaped:
            self._escaped = False
            self._text.append(byte)
        elif byte == _QUOTE:
            self._in_string = False
        else:
            self._escaped = byte == _BACKSLASH
            self._text.append(byte)


def _ends_in_a_repeat(text: bytearray) -> bool:
    tail = bytes(text[-_LONGEST_LOOK:])
    return any(tail[-2 * span : -span] == tail[-span:] for span in range(MIN_SPAN, len(tail) // 2 + 1))


def starting_with_quote(decode: Callable[[list[int]], bytes], size: int) -> Any:
    """The tokens of a vocabulary of ``size`` whose bytes start with ``"``, as a boolean array."""
    import numpy as np

    return np.array([decode([token]).startswith(b'"') for token in range(size)], dtype=bool)
