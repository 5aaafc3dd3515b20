"""The torch engine: the sentence-transformers module stack itself, in float32 or bfloat16.

It computes every stage a sentence-transformers model may have (Dense layers included):

- ``bf16``: the whole model cast to bfloat16: the fastest where the CPU computes bfloat16 natively, and
  the least exact;
- ``amp``: float32 weights, matrix products in bfloat16 under autocast (LayerNorm and softmax stay
  float32): between the two.

Without native bfloat16 both are emulated and slower than float32 (figures: docs/benchmarks/embeddings.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hfgate.local.cpu import read_cpu
from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.lazy_imports import import_torch_stack

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hfgate.local.embedding.tokens import TokenBatch

Precision = Literal["fp32", "bf16", "amp"]


class TorchEngine:
    """A sentence-transformers model on the CPU, fed our token batches.

    Args:
        model_dir: the model directory.
        options: threads (the pipeline is the model's own here).
        precision: ``fp32``, ``bf16`` (weights and activations) or ``amp`` (bfloat16 autocast).

    Example:
        >>> engine = TorchEngine(model_dir, options, precision="bf16")
        >>> # vectors = engine.forward(TokenBatch.pad(encodings))
    """

    def __init__(self, model_dir: Path, options: EngineOptions, *, precision: Precision = "fp32") -> None:
        torch, sentence_transformers = import_torch_stack("sentence_transformers")
        if options.threads:
            torch.set_num_threads(options.threads)
        self._torch = torch
        self._autocast = precision == "amp"
        # Pool and normalize in float32 ourselves when we can: done in bfloat16, the unit vectors
        # come out with norms 1 ± 0.003 and values rounded to three digits.
        self._pipeline = None if options.pipeline.unsupported else options.pipeline
        self._model: Any = sentence_transformers.SentenceTransformer(
            str(model_dir), device="cpu", local_files_only=True
        ).eval()
        if precision == "bf16":
            self._model = self._model.to(torch.bfloat16)

    def forward(self, batch: TokenBatch) -> NDArray[np.float32]:
        torch = self._torch
        features = {name: torch.from_numpy(array) for name, array in batch.inputs().items()}
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._autocast):
            if self._pipeline is not None:
                hidden = self._model[0](features)["token_embeddings"]
                return self._pipeline.pool(hidden.float().numpy(), batch.attention_mask)
            vectors = self._model(features)["sentence_embedding"]
        result: NDArray[np.float32] = vectors.float().numpy()
        return result

    @property
    def memory_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self._model.parameters())

    def close(self) -> None:
        self._model = None


def native_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes bfloat16 natively (else bfloat16 is emulated, and slower than fp32).

    Read from the CPU flags rather than by importing torch, so it stays cheap.
    """
    return read_cpu(cpuinfo).native_bfloat16
