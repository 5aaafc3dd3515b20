"""Where a local model's texts are tokenized before they queue for a pass: in hfgate's process, or in
worker processes (``tokenize_workers``) where one tokenizer cannot keep a GPU fed.

On the CPU the model, not its tokenizer, is what waits: every core computes passes, so texts are
tokenized in this process (a request of more than 64 texts in a thread, which the Rust tokenizer
mostly runs without the GIL). On a GPU the passes outrun any one tokenizer, so ``auto`` gives the
model worker processes: one per core but two (one for the event loop, one for the compute thread),
at most 16; with ``hfgate serve --workers N`` each worker counts its share of the cores.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from hfgate.local.embedding.tokenize_workers import TokenizerPool
from hfgate.local.embedding.tokens import TextTokenizer

_INLINE = 64  # texts tokenized on the event loop itself; more go to a thread
_MOST_PROCESSES = 16


def tokenizer_processes(setting: int | None, *, device: str, cores: int | None = None, workers: int = 1) -> int:
    """Worker processes that tokenize for one model: ``HFGATE_LOCAL_TOKENIZER_PROCESSES`` when set (0:
    none), else on a GPU one per core of this server worker's share (``cores // workers``) but two (at
    least one, at most 16) and none on the CPU.

    Example:
        >>> tokenizer_processes(None, device="cuda", cores=16), tokenizer_processes(None, device="cpu")
        (14, 0)
        >>> tokenizer_processes(None, device="cuda", cores=16, workers=4)
        2
    """
    if setting is not None:
        return setting
    if not device.startswith("cuda"):
        return 0
    share = (cores or len(os.sched_getaffinity(0))) // workers
    return min(_MOST_PROCESSES, max(1, share - 2))


class TextEncoding:
    """A model's tokenizer behind an async call.

    Args:
        tokenizer: the model's tokenizer, configured (truncation, lower-casing).
        processes: worker processes to tokenize in; 0 tokenizes in this process.

    Example:
        >>> encoding = TextEncoding(TextTokenizer(model_dir, max_length=256), processes=14)
        >>> # rows = await encoding.encode(texts); [len(row.ids) for row in rows]
    """

    def __init__(self, tokenizer: TextTokenizer, *, processes: int = 0) -> None:
        self.tokenizer = tokenizer
        self.processes = processes
        self._pool = (
            TokenizerPool(tokenizer.to_json(), lowercase=tokenizer.lowercase, processes=processes)
            if processes
            else None
        )

    async def encode(self, texts: Sequence[str]) -> list[Any]:
        """Each text's tokens (an ``Encoding``, or a worker's ``Tokens``: both have ``ids`` and ``type_ids``)."""
        if self._pool is not None:
            return await self._pool.encode(texts)
        if len(texts) > _INLINE:
            return await asyncio.to_thread(self.tokenizer.encode, texts)
        return self.tokenizer.encode(texts)

    async def encode_pairs(self, pairs: Sequence[tuple[str, str]]) -> list[Any]:
        """Each (first, second) pair as one sequence, as a cross-encoder reads it."""
        if self._pool is not None:
            return await self._pool.encode_pairs(pairs)
        if len(pairs) > _INLINE:
            return await asyncio.to_thread(self.tokenizer.encode_pairs, pairs)
        return self.tokenizer.encode_pairs(pairs)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
