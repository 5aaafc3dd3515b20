"""Which engine runs a local embedding model: the engines by name, and the default pick for this CPU."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hfgate.errors import BadRequestError
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.onnx_engine import OnnxEngine
from hfgate.local.embedding.pipeline import EmbeddingPipeline
from hfgate.local.embedding.torch_engine import TorchEngine, native_bfloat16

EngineLoader = Callable[[Path, EngineOptions], EmbeddingEngine]

ENGINES: dict[str, EngineLoader] = {
    "onnx": lambda path, options: OnnxEngine(path, options),
    "onnx-int8": lambda path, options: OnnxEngine(path, options, quantize=True),
    "torch": lambda path, options: TorchEngine(path, options),
    "torch-bf16": lambda path, options: TorchEngine(path, options, precision="bf16"),
    "torch-amp": lambda path, options: TorchEngine(path, options, precision="amp"),
}
"""Engines by the name ``service_settings.engine`` takes."""

AUTO_ENGINE = "auto"
"""Let ``choose_engine`` pick; the default of ``service_settings.engine``."""


def choose_engine(pipeline: EmbeddingPipeline) -> str:
    """The fastest engine that keeps cosine ≥ 0.9999 to sentence-transformers, measured on MiniLM.

    bfloat16 where the CPU has it natively (2.4-3.5x sentence-transformers, worst cosine 0.99991
    on 6,000 texts); else ONNX Runtime fp32 (1.0-1.5x, cosine 1.0), or torch fp32 for pipelines
    with stages ONNX export does not cover (e.g. Dense). ``torch-amp`` trades some of bfloat16's
    speed for a wider margin (cosine 0.99995); ``onnx`` gives sentence-transformers' exact vectors.

    Example:
        >>> choose_engine(read_pipeline(resolve_model("all-MiniLM-L6-v2").path, fallback_max_length=512))
        'torch-bf16'  # on a CPU with AMX or AVX512-BF16; 'onnx' elsewhere
    """
    if native_bfloat16():
        return "torch-bf16"
    return "torch" if pipeline.unsupported else "onnx"


def load_engine(name: str, path: Path, *, options: EngineOptions) -> EmbeddingEngine:
    """The engine called ``name``, loaded from the model at ``path``.

    Raises:
        BadRequestError: no engine has that name; the message lists the names.
    """
    loader = ENGINES.get(name)
    if loader is None:
        raise BadRequestError(
            f"Unknown engine [{name}]; set [service_settings.engine] to [{AUTO_ENGINE}] or one of "
            f"[{', '.join(ENGINES)}]",
            param="service_settings.engine",
        )
    return loader(path, options)
