"""Tokenizing in worker processes, so that the GIL never serializes it (a GPU outruns one tokenizer).

Tokenizer *threads* do not add up: the Python side of tokenizing (building each text's ``Encoding`` and
reading its ids) holds the GIL (figures: docs/gpu.md, "Tokenizing"). Here each worker process
rebuilds the model's tokenizer from its JSON (configured as in the parent: no padding, truncation at
the model's maximum), tokenizes a slice of a request's texts, and sends them back as three flat numpy
arrays (ids, token types, where each text starts): one pickled buffer per slice, nothing per text.
The parent only cuts views out of them (:class:`Tokens`, which ``TokenBatch.pad`` reads like an
``Encoding``). Workers start with ``spawn`` (never a fork of a process that holds CUDA) and import
only numpy and tokenizers.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SLICE = 256
"""Texts per task sent to a worker: a request of more is spread over several workers."""

_tokenizer: Any = None  # the worker's own, set by _start
_lowercase = False


@dataclass(frozen=True, slots=True)
class Tokens:
    """One text's token ids and types (views of a worker's arrays), read as an ``Encoding`` is."""

    ids: NDArray[np.int64]
    type_ids: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Packed:
    """Texts tokenized by a worker: their ids and types end to end, and where each text starts."""

    ids: NDArray[np.int64]
    type_ids: NDArray[np.int64]
    starts: NDArray[np.int64]

    def rows(self) -> list[Tokens]:
        bounds = zip(self.starts[:-1].tolist(), self.starts[1:].tolist(), strict=True)
        return [Tokens(self.ids[a:b], self.type_ids[a:b]) for a, b in bounds]


class TokenizerPool:
    """``processes`` worker processes, each with the tokenizer ``tokenizer_json`` describes.

    Args:
        tokenizer_json: the configured tokenizer (``TextTokenizer.to_json``).
        lowercase: lower-case texts first (sentence-transformers' ``do_lower_case``).
        processes: worker processes (at least 1).

    Example:
        >>> pool = TokenizerPool(tokenizer.to_json(), lowercase=False, processes=8)
        >>> # rows = await pool.encode(texts)  # [Tokens(ids=array([101, ...]), ...), ...]
    """

    def __init__(self, tokenizer_json: str, *, lowercase: bool, processes: int) -> None:
        self._executor = ProcessPoolExecutor(
            max(1, processes),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(tokenizer_json, lowercase),
        )

    async def encode(self, texts: Sequence[str]) -> list[Tokens]:
        """Each text's tokens, in order (texts stripped and cut as ``TextTokenizer.encode`` does)."""
        return await self._spread(list(texts))

    async def encode_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[Tokens]:
        """Each (first, second) pair as one sequence, as ``TextTokenizer.encode_pairs`` reads it."""
        return await self._spread(list(pairs))

    async def _spread(self, items: list[Any]) -> list[Tokens]:
        loop = asyncio.get_running_loop()
        slices = [items[start : start + SLICE] for start in range(0, len(items), SLICE)]
        packed = await asyncio.gather(*(loop.run_in_executor(self._executor, _encode, part) for part in slices))
        return [row for part in packed for row in part.rows()]

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _start(tokenizer_json: str, lowercase: bool) -> None:
    global _tokenizer, _lowercase
    # One core per worker: the tokenizer's own thread pool in every worker would oversubscribe the cores.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    from tokenizers import Tokenizer

    _tokenizer, _lowercase = Tokenizer.from_str(tokenizer_json), lowercase


def _encode(items: list[Any]) -> Packed:
    """In a worker: ``items`` (texts, or pairs of texts) tokenized and packed end to end."""
    import numpy as np

    from hfgate.local.embedding.tokens import prepare

    if items and isinstance(items[0], str):
        items = prepare(items, lowercase=_lowercase)
    encodings = _tokenizer.encode_batch(items)
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    starts = np.zeros(len(encodings) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    ids = np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64, count=int(starts[-1]))
    types = np.fromiter((t for e in encodings for t in e.type_ids), dtype=np.int64, count=int(starts[-1]))
    return Packed(ids=ids, type_ids=types, starts=starts)
