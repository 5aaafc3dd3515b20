"""Sparse vectors from a local SPLADE model (a masked-LM head), with dynamic batching.

Each text's vector has one weight per vocabulary entry: the masked-LM logits of its tokens, through
log(1 + relu(x)), pooled over the tokens the attention mask keeps (max, or sum), as
sentence-transformers' ``SpladePooling`` computes it; the entries left at zero are dropped. Texts of
concurrent requests share length-sorted forward passes on the compute thread (``hfgate.local.batching``);
the passes' logits are ``tokens x vocabulary`` floats each, so the token bound of a pass
(``HFGATE_LOCAL_MAX_BATCH_TOKENS``) bounds their memory too (1024 tokens x 30,522: 125 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hfgate.local.batched_head import BatchedHead
from hfgate.local.embedding.tokens import TokenBatch
from hfgate.local.sparse.config import SpladeConfig, read_splade

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True, slots=True)
class Encoded:
    """Each text's ``{vocabulary id: weight}`` in order, and the tokens the model read for them."""

    weights: list[dict[int, float]]
    tokens: int


class SpladeEncoder(BatchedHead[dict[int, float], SpladeConfig]):
    """A SPLADE model ready to encode; concurrent calls share forward passes.

    Args:
        path: a directory with a sentence-transformers ``SparseEncoder`` (``SpladePooling``) or a
            transformers ``*ForMaskedLM`` model.
        compute: the thread where forward passes run.
        limits: batch size and queue bounds.
        name: the model's name in messages (``service_settings.model``).
        threads: torch's compute threads; 0 keeps torch's default.

    Raises:
        BadRequestError: the model pools in a way hfgate does not run.

    Example:
        >>> encoder = SpladeEncoder(model_dir, compute=Compute(), name="my-splade")
        >>> # encoded = await encoder.encode(["a text"]); encoder.token(encoded.weights[0].popitem()[0])
    """

    head = "AutoModelForMaskedLM"

    def read_config(self, path: Path, *, name: str) -> SpladeConfig:
        return read_splade(path, name=name)

    async def encode(self, texts: Sequence[str]) -> Encoded:
        """Each text's sparse vector, in order.

        Raises:
            OverloadedError: the model's queue is full (429); retry later.
        """
        encodings = await self._encoding.encode(texts)
        lengths = [len(e.ids) for e in encodings]
        weights = await self._batcher.submit(encodings, lengths=lengths)
        return Encoded(weights=weights, tokens=sum(lengths))

    def names(self, weights: dict[int, float]) -> dict[str, float]:
        """``weights`` keyed by their vocabulary entries (``"paris"``, ``"##ing"``), as Elasticsearch shows them."""
        return {self._tokenizer.id_to_token(i): w for i, w in weights.items()}

    def outputs(self, logits: torch.Tensor, batch: TokenBatch) -> list[dict[int, float]]:
        """Each text's pooled weights, its non-zero entries by vocabulary id."""
        pooled = self._pool(logits, batch).cpu()  # one copy to the host, not one per text
        return [_nonzero(row, keep=self.config.max_active_dims) for row in pooled]

    def _pool(self, logits: torch.Tensor, batch: TokenBatch) -> torch.Tensor:
        """``[rows, vocabulary]``: padding's logits zeroed by the mask (they pool to nothing)."""
        import torch

        mask = torch.from_numpy(batch.attention_mask).unsqueeze(-1).to(logits.device, logits.dtype)
        weights = (logits * mask).relu().log1p()
        if self.config.activation == "log1p_relu":
            weights = weights.log1p()
        return weights.amax(dim=1) if self.config.pooling == "max" else weights.sum(dim=1)


def _nonzero(row: torch.Tensor, *, keep: int | None) -> dict[int, float]:
    """The non-zero entries of ``row`` by vocabulary id; only the ``keep`` largest when given."""
    ids = row.nonzero().squeeze(-1)
    if keep is not None and len(ids) > keep:
        ids = row.topk(keep).indices
    values: list[float] = row[ids].tolist()
    return dict(zip(ids.tolist(), values, strict=True))
