"""Dense embeddings from a local sentence-transformers model, with dynamic batching.

Concurrent requests wait in one bounded queue per model and are packed into shared, length-sorted
forward passes (``hfgate.local.batching``); each pass is one step on the compute thread. The engine
that runs a pass is chosen by name (``ENGINES``); by default the fastest one that keeps cosine
≥ 0.9999 to sentence-transformers' vectors on this CPU (``choose_engine``).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.local.batching import Batcher, BatchLimits
from hfgate.local.compute import Compute
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.onnx_engine import OnnxEngine
from hfgate.local.embedding.pipeline import EmbeddingPipeline, read_pipeline
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch, model_max_length
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

# Above this many texts, tokenize off the event loop (tokenizers releases the GIL).
_INLINE_TOKENIZE = 64


class SentenceEmbedder:
    """A local embedding model, ready to embed; concurrent calls share forward passes.

    Args:
        path: a directory with a sentence-transformers (or plain transformers) model.
        compute: the thread where forward passes run.
        threads: compute threads of the engine; 0 keeps the runtime's default (all cores).
        engine: a key of ``ENGINES``, or ``auto``/``None`` for ``choose_engine``'s pick.
        cache_dir: where converted models (ONNX exports) are kept, e.g. ``data_dir / "models"``;
            ``None`` uses a temporary directory removed at ``close()`` (the export is redone per process).
        limits: batch size and queue bounds.
        name: the model's name in messages (e.g. ``service_settings.model``); default the path.

    Raises:
        BadRequestError: unknown engine, or the engine cannot run this model.

    Example:
        >>> embedder = SentenceEmbedder(model_dir, compute=Compute(), cache_dir=data_dir / "models")
        >>> # vectors = await embedder.embed(["first text", "second text"])
    """

    def __init__(
        self,
        path: Path,
        *,
        compute: Compute,
        threads: int = 0,
        engine: str | None = None,
        cache_dir: Path | None = None,
        limits: BatchLimits | None = None,
        name: str | None = None,
    ) -> None:
        self._temporary: Path | None = None
        if cache_dir is None:
            cache_dir = self._temporary = Path(tempfile.mkdtemp(prefix="hfgate-models-"))
        pipeline = read_pipeline(path, fallback_max_length=model_max_length(path))
        self.engine_name = choose_engine(pipeline) if engine in (None, AUTO_ENGINE) else str(engine)
        options = EngineOptions(pipeline=pipeline, cache_dir=cache_dir, threads=threads)
        try:
            self._engine: EmbeddingEngine | None = _load_engine(self.engine_name, path, options=options)
        except BaseException:
            self._remove_temporary()
            raise
        self._tokenizer = TextTokenizer(path, max_length=pipeline.max_seq_length, lowercase=pipeline.lowercase)
        self._compute = compute
        self.name = name or str(path)
        self._batcher: Batcher[Any, list[float]] = Batcher(
            run_batch=self._run_batch, limits=limits or BatchLimits(), name=self.name
        )
        self.max_input_tokens: int = pipeline.max_seq_length
        self.dimensions: int = len(self._forward(self._tokenizer.encode(["dimensions"]))[0])
        self.forward_passes = 0
        """Forward passes run since loading (instrumentation: batching shows as fewer passes)."""

    @property
    def memory_bytes(self) -> int:
        return self._engine.memory_bytes if self._engine else 0

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order (normalized when the model's pipeline normalizes).

        Raises:
            OverloadedError: the model's queue is full (429); retry later.
        """
        encodings = await self._encode(texts)
        return await self._batcher.submit(encodings, lengths=[len(e.ids) for e in encodings])

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the model reads for ``texts`` (after truncation to its maximum)."""
        return sum(len(e.ids) for e in self._tokenizer.encode(texts))

    def close(self) -> None:
        self._batcher.close(f"The local model [{self.name}] was unloaded to free memory; retry")
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self._remove_temporary()

    def _remove_temporary(self) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)

    async def _encode(self, texts: Sequence[str]) -> list[Any]:
        if len(texts) > _INLINE_TOKENIZE:
            return await asyncio.to_thread(self._tokenizer.encode, texts)
        return self._tokenizer.encode(texts)

    async def _run_batch(self, encodings: list[Any]) -> list[list[float]]:
        self.forward_passes += 1
        return await self._compute.run(self._forward, encodings)

    def _forward(self, encodings: list[Any]) -> list[list[float]]:
        if self._engine is None:
            raise BadRequestError("The local embedding model was unloaded; retry")
        vectors: list[list[float]] = self._engine.forward(TokenBatch.pad(encodings)).tolist()
        return vectors


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


def _load_engine(name: str, path: Path, *, options: EngineOptions) -> EmbeddingEngine:
    loader = ENGINES.get(name)
    if loader is None:
        raise BadRequestError(
            f"Unknown engine [{name}]; set [service_settings.engine] to [{AUTO_ENGINE}] or one of "
            f"[{', '.join(ENGINES)}]",
            param="service_settings.engine",
        )
    return loader(path, options)
