"""Dense embeddings from a local sentence-transformers model, with dynamic batching.

Concurrent requests wait in one bounded queue per model and are packed into shared, length-sorted
forward passes (``hfgate.local.batching``); each pass is one step on the compute thread. The engine
that runs a pass is chosen by name, by default by measurement (:mod:`~hfgate.local.embedding.engine_choice`;
meanwhile the model serves on its exact default and switches between two batches:
:mod:`hfgate.local.measuring.switch`). Texts are tokenized before they queue (``encoding``: in worker
processes on a GPU).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.errors import BadRequestError
from hfgate.local.batching import Batcher, BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.embedding.encoding import TextEncoding
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.engine_choice import (
    AUTO_ENGINE,
    DEFAULT_MIN_COSINE,
    SPEED_UNIT,
    default_engine,
    engine_class,
    load_engine,
    measurement,
)
from hfgate.local.embedding.pipeline import float_rows, read_pipeline
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch, model_max_length
from hfgate.local.machine import machine_of
from hfgate.local.measuring.choice import measure_choice, measuring, recorded_choice, set_choice
from hfgate.local.measuring.record import MAX_ATTEMPTS, MEASURING, MeasuredChoice
from hfgate.local.measuring.switch import log_switch, measured_winner
from hfgate.tasks import FloatRows

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger("hfgate.local")


class SentenceEmbedder:
    """A local embedding model, ready to embed; concurrent calls share forward passes.

    Args:
        path: a directory with a sentence-transformers (or plain transformers) model.
        compute: the thread where forward passes run.
        threads: compute threads of the engine; 0 keeps the runtime's default (all cores).
        engine: a key of ``ENGINES``, or ``auto``/``None`` for ``choose_engine``'s pick.
        min_cosine: the fidelity to float32 an inexact engine must measure to be picked by ``auto``.
        choices_dir: where ``auto``'s measurements are kept; default ``cache_dir / "engine-choice"``.
        measure: the engines ``auto`` measures; default every installed one that can run the model.
        measure_attempts: measurements before a choice measured on a busy machine is kept.
        cache_dir: where converted models (ONNX exports) are kept, e.g. ``data_dir / "models"``;
            ``None`` uses a temporary directory removed at ``close()`` (the export is redone per process).
        limits: batch size and queue bounds.
        name: the model's name in messages (e.g. ``service_settings.model``); default the path.
        device: ``cpu``, ``cuda`` or ``cuda:N`` (``device.resolve_device``): which engines run it.
        tokenizer_processes: worker processes that tokenize (``encoding.tokenizer_processes``); 0: none.

    Raises:
        BadRequestError: unknown engine, or the engine cannot run this model.

    Example:
        >>> embedder = SentenceEmbedder(model_dir, compute=Compute(), cache_dir=data_dir / "models")
        >>> # vectors = await embedder.embed(["first text", "second text"])
    """

    vector_engine: str
    """The class of the engine that runs the next batch (:func:`engine_class`), which a cached vector's key
    names; kept with :attr:`engine_choice`, so that a request the cache answers asks nothing of the model."""

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
        min_cosine: float = DEFAULT_MIN_COSINE,
        choices_dir: Path | None = None,
        measure: Sequence[str] | None = None,
        measure_attempts: int = MAX_ATTEMPTS,
        device: str = "cpu",
        tokenizer_processes: int = 0,
    ) -> None:
        self._temporary: Path | None = None
        if cache_dir is None:
            cache_dir = self._temporary = Path(tempfile.mkdtemp(prefix="hfgate-models-"))
        pipeline = read_pipeline(path, fallback_max_length=model_max_length(path))
        # Engines pool; the embedder normalizes per request, so that a caller can have the pooled vector
        # (TEI's normalize: false). A pipeline with stages after pooling (Dense) runs whole in its engine.
        self._normalizes = pipeline.normalize and not pipeline.unsupported
        engine_pipeline = replace(pipeline, normalize=False) if self._normalizes else pipeline
        self._raw_available = not (pipeline.normalize and pipeline.unsupported)
        options = EngineOptions(
            pipeline=engine_pipeline,
            cache_dir=cache_dir,
            threads=threads,
            measure_attempts=measure_attempts,
            device=device,
        )
        on = machine_of(device).describe()
        self._path, self._options = path, options
        self._measurement = partial(
            measurement, path, options=options, min_cosine=min_cosine, names=measure, choices_dir=choices_dir
        )
        self._closed = False
        try:
            if engine in (None, AUTO_ENGINE):
                self.engine_choice = recorded_choice(self._measurement()) or measuring(
                    default_engine(path, options=options), min_cosine=min_cosine, unit=SPEED_UNIT, on=on
                )
            else:
                self.engine_choice = set_choice(str(engine), min_cosine=min_cosine, unit=SPEED_UNIT, on=on)
            self._engine: EmbeddingEngine | None = load_engine(self.engine_name, path, options=options)
        except BaseException:
            self._remove_temporary()
            raise
        self._tokenizer = TextTokenizer(path, max_length=pipeline.max_seq_length, lowercase=pipeline.lowercase)
        self._encoding = TextEncoding(self._tokenizer, processes=tokenizer_processes)
        self._device = device
        self._compute = compute
        self.name = name or str(path)
        self._batcher: Batcher[Any, NDArray[np.float32]] = Batcher(
            run_batch=self._run_batch, limits=limits or BatchLimits(), name=self.name, engine=lambda: self.engine_name
        )
        self.max_input_tokens: int = pipeline.max_seq_length
        self.dimensions: int = len(self._forward(self._tokenizer.encode(["dimensions"]))[0])
        self.forward_passes = 0
        """Forward passes run since loading (instrumentation: batching shows as fewer passes)."""

    @property
    def engine_choice(self) -> MeasuredChoice:
        """How the engine that runs the next batch was chosen."""
        return self._choice

    @engine_choice.setter
    def engine_choice(self, choice: MeasuredChoice) -> None:
        self._choice = choice
        self.vector_engine = engine_class(choice.engine)

    @property
    def engine_name(self) -> str:
        """The engine that runs the next batch."""
        return self._choice.engine

    @property
    def device(self) -> str:
        """Where the passes run: the GPU for a ``cuda*`` engine, else the CPU (a CPU engine set by name)."""
        return self._device if self.engine_name.startswith("cuda") else "cpu"

    @property
    def measuring(self) -> bool:
        """Serving on the default engine while the engines are measured (``auto`` with nothing recorded)."""
        return self.engine_choice.reason == MEASURING

    def switch_engine(self, *, one_load: AbstractContextManager[Any], loop: asyncio.AbstractEventLoop) -> None:
        """Measure the engines (blocking: run in a thread), load the winner and switch to it between two
        batches; exact engines give the same vectors, an inexact one is picked only within ``min_cosine``.

        Raises:
            HfGateError: the measurement failed; the model keeps its default engine and says so.
        """
        current, measure = self.engine_choice, lambda: measure_choice(self._measurement())
        choice = measured_winner(current, measure, keep=self._show, model=self.name)
        if choice is None:
            return
        with one_load:
            engine = load_engine(choice.engine, self._path, options=self._options)
        self._compute.submit(lambda: self._adopt(engine, choice)).result()

    def _adopt(self, engine: EmbeddingEngine, choice: MeasuredChoice) -> None:
        """Run on the compute thread, so between two batches: the next batch runs on ``engine``."""
        if self._closed:  # unloaded while the winner loaded
            engine.close()
            return
        old, before = self._engine, self.engine_name
        self._engine, self.engine_choice = engine, choice
        if old is not None:
            old.close()
        log_switch(self.name, before=before, after=choice.engine)

    def _show(self, choice: MeasuredChoice) -> None:
        self.engine_choice = choice

    @property
    def memory_bytes(self) -> int:
        return self._engine.memory_bytes if self._engine else 0

    @property
    def waiting(self) -> int:
        """Texts queued for this model and not yet in a batch."""
        return self._batcher.waiting

    async def embed(self, texts: Sequence[str], *, normalize: bool = True) -> FloatRows:
        """One vector per text, in order: normalized when the model's pipeline normalizes, unless
        ``normalize`` is False (then the pooled vector, as TEI's ``normalize: false``)."""
        return (await self.embed_counted(texts, normalize=normalize))[0]

    async def embed_counted(self, texts: Sequence[str], *, normalize: bool = True) -> tuple[FloatRows, int]:
        """``embed``'s vectors and the tokens the model read for them (tokenized once for both).

        Raises:
            OverloadedError: the model's queue is full (429); retry later.
            BadRequestError: ``normalize=False`` for a model whose pipeline normalizes inside stages
                hfgate runs whole (Dense layers after pooling).
        """
        if not normalize and not self._raw_available:
            raise BadRequestError(
                f"`normalize: false` is not available for the model [{self.name}]: its pipeline has stages "
                "after pooling that hfgate runs as one; send `normalize: true`"
            )
        encodings = await self._encoding.encode(texts)
        lengths = [len(e.ids) for e in encodings]
        vectors = await self._batcher.submit(encodings, lengths=lengths)
        # one array per request, of rows that stayed arrays since the pass; Python floats only if read
        return float_rows(vectors, unit=normalize and self._normalizes), sum(lengths)

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the model reads for ``texts`` (after truncation to its maximum)."""
        return sum(len(e.ids) for e in self._tokenizer.encode(texts))

    def close(self) -> None:
        self._closed = True
        self._batcher.close(f"The local model [{self.name}] was unloaded to free memory; retry")
        self._encoding.close()
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self._remove_temporary()

    def _remove_temporary(self) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)

    async def _run_batch(self, encodings: list[Any]) -> list[NDArray[np.float32]]:
        self.forward_passes += 1
        return await self._compute.run(self._forward, encodings)

    def _forward(self, encodings: list[Any]) -> list[NDArray[np.float32]]:
        """The pass's vectors as rows of one array: a row per text, no Python float made here."""
        if self._engine is None:
            raise BadRequestError("The local embedding model was unloaded; retry")
        return list(self._engine.forward(TokenBatch.pad(encodings)))
