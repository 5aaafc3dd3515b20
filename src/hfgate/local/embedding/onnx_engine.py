"""The ONNX Runtime engine: the transformer exported once to ONNX, pooling done in numpy.

fp32 reproduces sentence-transformers' vectors exactly (cosine 1.0 to six decimals) and needs no
torch in the serving process once exported (≈ 260 MiB resident for MiniLM instead of ≈ 580). On
this 2-core AMX machine it ran at 0.9-1.5x sentence-transformers' speed: torch's bfloat16 engine is
the fast one there. ``int8`` quantizes the weights dynamically (per channel): faster, but the vectors
drift (cosine ≈ 0.994 on average, worst ≈ 0.985 on MiniLM), so it is only ever chosen explicitly.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.errors import BadRequestError
from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.embedding.onnx_export import exported_model, import_onnxruntime

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hfgate.local.embedding.tokens import TokenBatch


class OnnxEngine:
    """A transformer in an ONNX Runtime CPU session.

    Args:
        model_dir: the model directory.
        options: pipeline, cache directory and threads.
        quantize: run the int8 dynamically quantized variant.

    Raises:
        BadRequestError: the pipeline has stages only sentence-transformers computes (use ``torch``).

    Example:
        >>> engine = OnnxEngine(model_dir, EngineOptions(pipeline=pipeline, cache_dir=Path("/tmp/m")))
        >>> # vectors = engine.forward(TokenBatch.pad(encodings))
    """

    def __init__(self, model_dir: Path, options: EngineOptions, *, quantize: bool = False) -> None:
        if options.pipeline.unsupported:
            raise BadRequestError(
                f"The [onnx] engine cannot compute [{', '.join(options.pipeline.unsupported)}] of "
                f"[{model_dir}]; set [service_settings.engine] to [torch]"
            )
        path = exported_model(model_dir, options.cache_dir)
        self._path = _quantized(path) if quantize else path
        self._pipeline = options.pipeline
        self._session: Any = _session(self._path, options.threads)
        self._inputs = [i.name for i in self._session.get_inputs()]

    def forward(self, batch: TokenBatch) -> NDArray[np.float32]:
        columns = batch.inputs()
        hidden = self._session.run(None, {name: columns[name] for name in self._inputs})[0]
        return self._pipeline.pool(hidden, batch.attention_mask)

    @property
    def memory_bytes(self) -> int:
        return self._path.stat().st_size

    def close(self) -> None:
        self._session = None


def _session(path: Path, threads: int) -> Any:
    onnxruntime = import_onnxruntime()
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads would otherwise spin after each pass, stealing the cores from whatever the
    # compute thread runs next (a generation step) and from the event loop.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _quantized(path: Path) -> Path:
    target = path.with_name("model-int8.onnx")
    if not target.is_file():
        quantization = _import_quantization()
        tmp = target.with_suffix(".tmp.onnx")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # advice to pre-process the model; not needed for dynamic
            # Per-channel scales: per-tensor int8 drops MiniLM's cosine to sentence-transformers to ≈ 0.93.
            quantization.quantize_dynamic(
                str(path), str(tmp), weight_type=quantization.QuantType.QInt8, per_channel=True
            )
        tmp.replace(target)
    return target


def _import_quantization() -> Any:
    import importlib

    try:
        return importlib.import_module("onnxruntime.quantization")
    except ImportError as exc:
        raise BadRequestError(
            f"The [onnx-int8] engine needs [{exc.name}], which is not installed; install the extra with "
            "`pip install torch==2.13.0 'hfgate[local]'`"
        ) from exc
