"""The CUDA engine: the sentence-transformers module stack on a GPU, in float32, float16 or bfloat16.

The transformer runs in the engine's precision; pooling runs on the GPU in float32 with the model's own
Pooling module (a pooled vector per text, not every token's, is what crosses back to the host). float32
is the exact reference; which half precision serves is decided as on the CPU, by measuring it against
float32 on the calibration texts within the endpoint's ``min_cosine`` (``engine_choice``). The pass
runs on the compute thread, so its wait for the GPU and the copy back never block the event loop.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.lazy_imports import import_torch_stack

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hfgate.local.embedding.tokens import TokenBatch

Precision = Literal["fp32", "fp16", "bf16"]


class CudaEngine:
    """A sentence-transformers model on ``options.device`` (``cuda`` or ``cuda:N``), fed our token batches.

    Args:
        model_dir: the model directory.
        options: the device and the pipeline (pooling is the model's own here).
        precision: ``fp32`` (exact), ``fp16`` or ``bf16`` (weights and activations).

    Example:
        >>> engine = CudaEngine(model_dir, replace(options, device="cuda:0"), precision="fp16")
        >>> # vectors = engine.forward(TokenBatch.pad(encodings))
    """

    def __init__(self, model_dir: Path, options: EngineOptions, *, precision: Precision = "fp32") -> None:
        torch, sentence_transformers = import_torch_stack("sentence_transformers")
        self._torch = torch
        self._device = torch.device(options.device)
        dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        model: Any = sentence_transformers.SentenceTransformer(
            str(model_dir), device=str(self._device), local_files_only=True
        )
        self._model: Any = model.to(dtype).eval()
        # A pipeline of Transformer, Pooling (and Normalize, which the embedder applies itself): the
        # transformer here, pooling in float32; any other stack (Dense layers) runs whole.
        pooling = _pooling_class()
        found: Any = next((m for m in model if isinstance(m, pooling)), None)
        self._pooling = None if options.pipeline.unsupported else found
        self._normalize = options.pipeline.normalize

    def forward(self, batch: TokenBatch) -> NDArray[np.float32]:
        torch = self._torch
        features = {name: torch.from_numpy(a).to(self._device, non_blocking=True) for name, a in batch.inputs().items()}
        with torch.inference_mode():
            if self._pooling is None:
                vectors = self._model(features)["sentence_embedding"].float()
            else:
                hidden = self._model[0](features)["token_embeddings"].float()
                pooled = {"token_embeddings": hidden, "attention_mask": features["attention_mask"]}
                vectors = self._pooling(pooled)["sentence_embedding"]
                if self._normalize:
                    vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
            result: NDArray[np.float32] = vectors.cpu().numpy()
        return result

    @property
    def memory_bytes(self) -> int:
        """Host memory held: none to speak of (the weights are on the GPU, counted by the GPU memory rule)."""
        return 0

    def close(self) -> None:
        self._model = None
        self._pooling = None


def _pooling_class() -> type:
    """sentence-transformers' Pooling module: where 6 keeps it, or, before 6, ``sentence_transformers.models``
    (in 6 a deprecated alias, imported only when asked for)."""
    try:
        modules = importlib.import_module("sentence_transformers.sentence_transformer.modules")
    except ImportError:
        modules = importlib.import_module("sentence_transformers.models")
    pooling: type = modules.Pooling
    return pooling
