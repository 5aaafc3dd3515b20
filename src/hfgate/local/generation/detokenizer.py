"""Turning a growing list of token ids into text, one token at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_INCOMPLETE = "\ufffd"


@dataclass(slots=True)
class IncrementalDetokenizer:
    """Text for each new token, the same as decoding all tokens at once.

    Decoding a token alone loses the spaces and merged bytes that depend on its neighbours, so each step
    decodes a short window of recent tokens and returns what that window adds; a token that ends in the
    middle of a UTF-8 character adds nothing until the character is complete.

    Args:
        tokenizer: a transformers tokenizer.
    """

    tokenizer: Any
    _ids: list[int] = field(default_factory=list, init=False)
    _prefix: int = field(default=0, init=False)
    _read: int = field(default=0, init=False)

    def add(self, token_id: int) -> str:
        """Append ``token_id``; the text it completes (possibly empty)."""
        self._ids.append(token_id)
        before = self._decode(self._ids[self._prefix : self._read])
        after = self._decode(self._ids[self._prefix :])
        if len(after) <= len(before) or after.endswith(_INCOMPLETE):
            return ""
        self._prefix, self._read = self._read, len(self._ids)
        return after[len(before) :]

    def _decode(self, ids: list[int]) -> str:
        text: str = self.tokenizer.decode(ids, skip_special_tokens=True)
        return text
