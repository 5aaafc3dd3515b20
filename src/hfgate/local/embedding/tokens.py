"""Tokenizing exactly as the model's own fast tokenizer does, and padding token ids into a batch."""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.local.lazy_imports import import_torch_stack

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class TokenBatch:
    """Right-padded token ids of one forward pass, as the transformer's inputs are named."""

    input_ids: NDArray[np.int64]
    attention_mask: NDArray[np.int64]
    token_type_ids: NDArray[np.int64]

    @classmethod
    def pad(cls, encodings: Sequence[Any]) -> TokenBatch:
        """Pad ``tokenizers.Encoding`` objects to the longest one (pad id 0, mask 0)."""
        import numpy as np

        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask, types = np.zeros_like(ids), np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n], types[row, :n], mask[row, :n] = encoding.ids, encoding.type_ids, 1
        return cls(input_ids=ids, attention_mask=mask, token_type_ids=types)

    def rows(self, indices: NDArray[np.int64]) -> TokenBatch:
        """The batch of the rows ``indices``, cut to the longest of them."""
        width = int(self.attention_mask[indices].sum(axis=1).max())
        return TokenBatch(
            input_ids=self.input_ids[indices, :width],
            attention_mask=self.attention_mask[indices, :width],
            token_type_ids=self.token_type_ids[indices, :width],
        )

    def inputs(self) -> dict[str, NDArray[np.int64]]:
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "token_type_ids": self.token_type_ids,
        }


class TextTokenizer:
    """The model's fast tokenizer, truncating at ``max_length`` and never padding on its own.

    Args:
        model_dir: the model directory (``tokenizer.json``, or any tokenizer transformers can load).
        max_length: tokens per text, special tokens included.
        lowercase: lower-case text first (sentence-transformers' ``do_lower_case``).
        stride: tokens each window past the first repeats of the one before; ``encode`` keeps the windows
            past ``max_length`` in each encoding's ``overflowing``.

    Example:
        >>> tokenizer = TextTokenizer(model_dir, max_length=256)
        >>> [len(e.ids) for e in tokenizer.encode(["hello world"])]
        [4]
    """

    def __init__(self, model_dir: Path, *, max_length: int, lowercase: bool = False, stride: int = 0) -> None:
        self._tokenizer = _load(model_dir)
        self._model_dir = model_dir
        # tokenizer.json may carry a fixed padding/truncation of its own (MiniLM's pads to 128).
        self._tokenizer.no_padding()
        # with a stride, what is cut off is kept as overlapping windows (each encoding's ``overflowing``)
        self._tokenizer.enable_truncation(max_length=max_length, stride=stride)
        self._lowercase = lowercase

    def encode(self, texts: Sequence[str]) -> list[Any]:
        """One ``tokenizers.Encoding`` per text."""
        encodings: list[Any] = self._tokenizer.encode_batch(prepare(texts, lowercase=self._lowercase))
        return encodings

    def encode_as_written(self, texts: Sequence[str]) -> list[Any]:
        """One ``tokenizers.Encoding`` per text as given (not stripped), so that its offsets point into the text
        itself, as transformers' tokenizer call gives them."""
        encodings: list[Any] = self._tokenizer.encode_batch(list(texts))
        return encodings

    @property
    def lowercase(self) -> bool:
        return self._lowercase

    def to_json(self) -> str:
        """The tokenizer as configured here (no padding, truncation at ``max_length``), as ``tokenizer.json``
        text: what a worker process rebuilds it from (``tokenize_workers``)."""
        text: str = self._tokenizer.to_str()
        return text

    def encode_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[Any]:
        """One ``tokenizers.Encoding`` per (first, second) pair, as a cross-encoder reads it: both texts
        in one sequence (``[CLS] a [SEP] b [SEP]`` for BERT), the longer one cut first past ``max_length``
        (``longest_first``, as transformers' ``truncation=True``)."""
        encodings: list[Any] = self._tokenizer.encode_batch(list(pairs))
        return encodings

    def join(self, tokens: Sequence[str]) -> str:
        """``tokens`` as one string, as the model's decoder joins them (WordPiece glues its ``##`` pieces):
        transformers' ``convert_tokens_to_string``."""
        decoder = self._tokenizer.decoder
        return str(decoder.decode(list(tokens))) if decoder is not None else " ".join(tokens)

    @property
    def specials_per_text(self) -> int:
        """The special tokens the tokenizer adds around one text (``[CLS]`` and ``[SEP]`` for BERT)."""
        processor = self._tokenizer.post_processor
        return int(processor.num_special_tokens_to_add(False)) if processor is not None else 0

    @property
    def word_aware(self) -> bool:
        """Whether the vocabulary marks the pieces that continue a word (WordPiece's ``##``)."""
        return bool(getattr(self._tokenizer.model, "continuing_subword_prefix", None))

    @functools.cached_property
    def unknown_id(self) -> int | None:
        """The id of the unknown token: the one transformers names (``unk_token`` in ``tokenizer_config.json`` or
        ``special_tokens_map.json``), else the vocabulary's own; ``None`` without one."""
        token = _configured_unknown(self._model_dir) or getattr(self._tokenizer.model, "unk_token", None)
        if token:
            found: int | None = self._tokenizer.token_to_id(token)
            return found
        unknown = json.loads(self._tokenizer.to_str())["model"].get("unk_id")  # Unigram names it by its id
        return unknown if isinstance(unknown, int) else None

    def id_to_token(self, token_id: int) -> str:
        """The vocabulary entry ``token_id`` names (``##ing`` for a WordPiece continuation)."""
        token: str | None = self._tokenizer.id_to_token(token_id)
        return token if token is not None else str(token_id)


def prepare(texts: Sequence[str], *, lowercase: bool) -> list[str]:
    """``texts`` as sentence-transformers hands them to its tokenizer: stripped (and lower-cased)."""
    return [t.strip().lower() if lowercase else t.strip() for t in texts]


def model_max_length(model_dir: Path) -> int:
    """The smaller of the tokenizer's and the model's position limits (sentence-transformers' rule)."""
    limits = [
        _read_int(model_dir / "tokenizer_config.json", "model_max_length"),
        _read_int(model_dir / "config.json", "max_position_embeddings"),
    ]
    known = [n for n in limits if n and n < 1_000_000]
    return min(known) if known else 512


def _load(model_dir: Path) -> Any:
    tokenizers = importlib.import_module("tokenizers")
    if (model_dir / "tokenizer.json").is_file():
        return tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    # No tokenizer.json (older repos ship vocab files): let transformers build the fast one.
    _, transformers = import_torch_stack("transformers")
    fast = transformers.AutoTokenizer.from_pretrained(str(model_dir), use_fast=True, local_files_only=True)
    return tokenizers.Tokenizer.from_str(fast.backend_tokenizer.to_str())


def _configured_unknown(model_dir: Path) -> str | None:
    """The ``unk_token`` transformers' tokenizer is configured with, if its files name one."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        try:
            value = json.loads((model_dir / name).read_text(encoding="utf-8")).get("unk_token")
        except (OSError, ValueError):
            continue
        value = value.get("content") if isinstance(value, dict) else value  # an AddedToken, as 4.x saved it
        if isinstance(value, str) and value:
            return value
    return None


def _read_int(path: Path, key: str) -> int | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError):
        return None
    return int(value) if isinstance(value, int | float) else None
