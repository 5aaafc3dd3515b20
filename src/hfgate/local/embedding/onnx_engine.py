"""The ONNX Runtime engine: the transformer exported once to ONNX, pooling done in numpy.

fp32 reproduces sentence-transformers' vectors exactly and needs no torch in the serving process once
exported (about half the resident memory). Where the CPU computes bfloat16 natively, torch's bfloat16
engine may be the faster one: ``auto`` measures (docs/benchmarks/embeddings.md). Variants of the exported
file (``Variant``): ``fused`` (ONNX Runtime's transformer optimizer, exact: ``onnx_fusion``), ``int8``
(every MatMul quantized dynamically: faster, but inexact) and ``int8-selective`` (only the MatMuls that
keep cosine ≥ 0.999: ``onnx_quantization``); ``auto`` picks an inexact one only if its measured cosine
meets ``min_cosine``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hfgate.errors import BadRequestError
from hfgate.local.embedding.calibration import calibration_texts
from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.embedding.onnx_export import exported_model
from hfgate.local.embedding.onnx_fusion import fused_model
from hfgate.local.embedding.onnx_quantization import quantized_model, selective_model
from hfgate.local.embedding.onnx_session import open_session
from hfgate.local.embedding.shards import Shards, core_count
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


Variant = Literal["fp32", "fused", "int8", "int8-selective"]


class OnnxEngine:
    """A transformer in an ONNX Runtime CPU session.

    Args:
        model_dir: the model directory.
        options: pipeline, cache directory and threads.
        variant: which file of the exported model runs (see the module's docstring).

    Raises:
        BadRequestError: the pipeline has stages only sentence-transformers computes (use ``torch``).

    Example:
        >>> engine = OnnxEngine(model_dir, EngineOptions(pipeline=pipeline, cache_dir=Path("/tmp/m")))
        >>> # vectors = engine.forward(TokenBatch.pad(encodings))
    """

    def __init__(self, model_dir: Path, options: EngineOptions, *, variant: Variant = "fp32") -> None:
        if options.pipeline.unsupported:
            raise BadRequestError(
                f"The [onnx] engine cannot compute [{', '.join(options.pipeline.unsupported)}] of "
                f"[{model_dir}]; set [service_settings.engine] to [torch]"
            )
        self._path = _variant(model_dir, options, variant)
        self._pipeline = options.pipeline
        # One thread per session run, the cores used by running row shards at once (``shards``).
        self._shards = Shards(core_count(options.threads))
        self._session: Any = open_session(self._path, 1)
        self._inputs = [i.name for i in self._session.get_inputs()]

    def forward(self, batch: TokenBatch) -> NDArray[np.float32]:
        return self._shards.run(self._forward, batch)

    def _forward(self, batch: TokenBatch) -> NDArray[np.float32]:
        columns = batch.inputs()
        hidden = self._session.run(None, {name: columns[name] for name in self._inputs})[0]
        return self._pipeline.pool(hidden, batch.attention_mask)

    @property
    def memory_bytes(self) -> int:
        return self._path.stat().st_size

    def close(self) -> None:
        self._shards.close()
        self._session = None


def _variant(model_dir: Path, options: EngineOptions, variant: Variant) -> Path:
    """The file that runs ``variant``, exported or derived on first use and kept in the cache dir."""
    path = exported_model(model_dir, options.cache_dir)
    if variant == "int8":
        return quantized_model(path)
    if variant == "fp32":
        return path
    pipeline = options.pipeline
    tokenizer = TextTokenizer(model_dir, max_length=pipeline.max_seq_length, lowercase=pipeline.lowercase)
    batches = [TokenBatch.pad(tokenizer.encode(texts)) for texts in calibration_texts()]
    if variant == "fused":
        return fused_model(path, model_dir=model_dir, batches=batches, pipeline=pipeline, threads=options.threads)
    return selective_model(path, batches=batches, pipeline=pipeline, threads=options.threads)
