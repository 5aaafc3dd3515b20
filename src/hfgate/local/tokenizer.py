"""A local model's own tokenizer, for TEI's and TGI's ``/tokenize``: ids, text and input offsets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.errors import RequestValidationError
from hfgate.local.catalog import ModelLocation
from hfgate.local.lazy_imports import import_torch_stack
from hfgate.tasks import TokenSpan


class ModelTokenizer:
    """The fast tokenizer stored with a model (``tokenizer.json``, or the GGUF's vocabulary).

    Example:
        >>> ModelTokenizer(resolve_model("all-MiniLM-L6-v2")).spans("hi", add_special_tokens=False)[0].text
        'hi'
    """

    memory_bytes = 4 << 20  # a vocabulary; small next to any model

    def __init__(self, location: ModelLocation) -> None:
        (_, transformers) = import_torch_stack("transformers")
        self._tokenizer: Any = transformers.AutoTokenizer.from_pretrained(
            str(location.path), gguf_file=location.gguf_file, local_files_only=True
        )
        self._special = set(self._tokenizer.all_special_ids)

    def spans(self, text: str, *, add_special_tokens: bool) -> list[TokenSpan]:
        """Each token of ``text``: special tokens carry no offsets; others carry the input they cover."""
        encoded = self._tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
        pieces = self._tokenizer.convert_ids_to_tokens(encoded["input_ids"])
        return [
            self._span(token_id, piece, start=start, stop=stop, text=text)
            for token_id, piece, (start, stop) in zip(
                encoded["input_ids"], pieces, encoded["offset_mapping"], strict=True
            )
        ]

    def decode(self, rows: Sequence[Sequence[int]], *, skip_special_tokens: bool) -> list[str]:
        """Each row of ids as text (TEI's ``/decode``).

        Raises:
            RequestValidationError: an id outside the vocabulary, named by its place.
        """
        size = len(self._tokenizer)
        for row, ids in enumerate(rows):
            wrong = next((i for i, token_id in enumerate(ids) if not 0 <= token_id < size), None)
            if wrong is not None:
                raise RequestValidationError(
                    [f"[ids] holds [{ids[wrong]}] at [{row}][{wrong}], outside the vocabulary of {size} tokens"],
                    param="ids",
                )
        decoded: list[str] = self._tokenizer.batch_decode(
            [list(ids) for ids in rows], skip_special_tokens=skip_special_tokens
        )
        return decoded

    def _span(self, token_id: int, piece: str, *, start: int, stop: int, text: str) -> TokenSpan:
        if token_id in self._special:
            return TokenSpan(id=token_id, text=piece, special=True, start=None, stop=None)
        return TokenSpan(id=token_id, text=text[start:stop], special=False, start=start, stop=stop)

    def close(self) -> None:
        self._tokenizer = None
