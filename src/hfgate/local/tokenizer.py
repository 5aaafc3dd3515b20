"""A local model's own tokenizer, for TEI's and TGI's ``/tokenize``: ids, text and input offsets."""

from __future__ import annotations

from typing import Any

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

    def _span(self, token_id: int, piece: str, *, start: int, stop: int, text: str) -> TokenSpan:
        if token_id in self._special:
            return TokenSpan(id=token_id, text=piece, special=True, start=None, stop=None)
        return TokenSpan(id=token_id, text=text[start:stop], special=False, start=start, stop=stop)

    def close(self) -> None:
        self._tokenizer = None
