"""Dense embeddings with a sentence-transformers model loaded from a local directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hfgate.local.compute import Compute
from hfgate.local.runtime import import_torch_stack


class SentenceEmbedder:
    """A sentence-transformers model, ready to embed.

    Args:
        path: a directory with a sentence-transformers (or plain transformers) model.
        compute: the thread where forward passes run.
        threads: torch intra-op threads; 0 keeps torch's default.
    """

    def __init__(self, path: Path, *, compute: Compute, threads: int = 0) -> None:
        torch, sentence_transformers = import_torch_stack("sentence_transformers")
        if threads:
            torch.set_num_threads(threads)
        self._compute = compute
        self._model: Any = sentence_transformers.SentenceTransformer(
            str(path), device="cpu", local_files_only=True
        )
        self.dimensions: int = int(self._model.get_embedding_dimension())
        self.max_input_tokens: int = int(self._model.max_seq_length)

    @property
    def memory_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self._model.parameters())

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text (normalized when the model's pipeline normalizes)."""
        return await self._compute.run(self._encode, list(texts))

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, batch_size=32, convert_to_numpy=True)
        result: list[list[float]] = vectors.tolist()
        return result

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the model reads for ``texts`` (after truncation to its maximum)."""
        encoded = self._model.tokenizer(list(texts), truncation=True, max_length=self.max_input_tokens)
        return sum(len(ids) for ids in encoded["input_ids"])

    def close(self) -> None:
        self._model = None
