"""Relevance scores from a local cross-encoder, with dynamic batching.

Each (query, document) pair is one sequence through the model; the pairs of concurrent requests wait
in one bounded queue and share length-sorted forward passes (``hfgate.local.batching``), each pass one
step on the compute thread. A score is the classifier's one logit through the model's activation
(``config.py``), as sentence-transformers' ``CrossEncoder.predict`` gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hfgate.local.batched_head import BatchedHead
from hfgate.local.embedding.tokens import TokenBatch
from hfgate.local.rerank.config import CrossEncoderConfig, read_cross_encoder

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True, slots=True)
class Scored:
    """Each document's score in order, and the tokens the model read for them."""

    scores: list[float]
    tokens: int


class CrossEncoderScorer(BatchedHead[float, CrossEncoderConfig]):
    """A cross-encoder ready to score; concurrent calls share forward passes.

    Args:
        path: a directory with a sentence-transformers ``CrossEncoder`` or a transformers
            ``*ForSequenceClassification`` model with one label.
        compute: the thread where forward passes run.
        limits: batch size and queue bounds.
        name: the model's name in messages (``service_settings.model``).
        threads: torch's compute threads; 0 keeps torch's default.

    Raises:
        BadRequestError: the model is not a one-label cross-encoder hfgate can run.

    Example:
        >>> scorer = CrossEncoderScorer(model_dir, compute=Compute(), name="my-reranker")
        >>> # scored = await scorer.score("query", ["first document", "second document"])
    """

    head = "AutoModelForSequenceClassification"

    def read_config(self, path: Path, *, name: str) -> CrossEncoderConfig:
        return read_cross_encoder(path, name=name)

    async def score(self, query: str, documents: Sequence[str]) -> Scored:
        """Each document's relevance to ``query``, in order.

        Raises:
            OverloadedError: the model's queue is full (429); retry later.
        """
        encodings = await self._encoding.encode_pairs([(query, document) for document in documents])
        lengths = [len(e.ids) for e in encodings]
        scores = await self._batcher.submit(encodings, lengths=lengths)
        return Scored(scores=scores, tokens=sum(lengths))

    def outputs(self, logits: torch.Tensor, batch: TokenBatch) -> list[float]:
        """Each pair's one logit through the model's activation."""
        first = logits[:, 0]
        activation = self.config.activation
        scores = first.sigmoid() if activation == "sigmoid" else first.tanh() if activation == "tanh" else first
        values: list[float] = scores.tolist()
        return values
