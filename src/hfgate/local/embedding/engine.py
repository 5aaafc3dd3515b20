"""The one small interface every embedding engine (ONNX Runtime, torch…) offers to the embedder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hfgate.local.measuring.record import MAX_ATTEMPTS

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hfgate.local.embedding.pipeline import EmbeddingPipeline
    from hfgate.local.embedding.tokens import TokenBatch


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineOptions:
    """What loading an engine may need beyond the model directory.

    Attributes:
        pipeline: the stages after the transformer (pooling, normalization).
        cache_dir: where converted models (ONNX exports) are kept between runs.
        threads: compute threads; 0 = the runtime's default (every core).
        measure_attempts: measurements of a model before a choice measured while the machine was busy is
            kept (``Settings.local_engine_measure_attempts``).
        device: where the model runs, ``cpu``, ``cuda`` or ``cuda:N`` (``device.resolve_device``); on a GPU
            the ``cuda*`` engines are the candidates, elsewhere the CPU's.
    """

    pipeline: EmbeddingPipeline
    cache_dir: Path
    threads: int = 0
    measure_attempts: int = MAX_ATTEMPTS
    device: str = "cpu"

    @property
    def on_gpu(self) -> bool:
        return self.device.startswith("cuda")


class EmbeddingEngine(Protocol):
    """Turns a padded token batch into sentence vectors, on the calling (compute) thread."""

    def forward(self, batch: TokenBatch) -> NDArray[np.float32]:
        """Sentence vectors (batch, dimensions), pooled and normalized as the model's pipeline says."""
        ...

    @property
    def memory_bytes(self) -> int:
        """Approximate size of the weights held."""
        ...

    def close(self) -> None:
        """Drop the weights and runtime sessions."""
        ...
