"""Timing embedding engines against each other, and their fidelity to float32, on this machine.

Engines are timed interleaved (each round runs every engine once, in turn) and ranked by their fastest
round: load from a neighbour only ever slows a round (a two-thread torch pass whose second thread is
descheduled took 10-12x longer on a shared 2-vCPU VM, an ONNX Runtime pass 1.3-1.8x), so the fastest
round is each engine's speed with the least interference, and interleaving gives every engine its
chance at the quiet moments. Every round runs beside a model of the HTTP worker's own load
(:mod:`~hfgate.local.embedding.serving_load`), which ranks engines as they serve rather than as they
run alone. The texts are cut into passes as the batcher would cut them, so that an
engine's cost per pass counts as in serving, and each group (short texts; passages) counts equally: an
engine's speed is the geometric mean of its texts/s on each, so the passages' longer passes do not
decide alone. Fidelity is the worst cosine, over the calibration texts, to the vectors of a float32
engine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from hfgate.local.embedding.serving_load import SERVING_SHARE, serving_load
from hfgate.local.engine_record import MEASURING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hfgate.local.embedding.engine import EmbeddingEngine
    from hfgate.local.embedding.tokens import TokenBatch


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineFigures:
    """One engine's measurement.

    Attributes:
        engine: its name (a key of ``ENGINES``).
        exact: computes in float32 (its vectors are sentence-transformers' to rounding).
        texts_per_second: calibration texts per second (geometric mean over the groups of passes of each
            one's fastest round); ``None`` if it failed.
        worst_cosine: lowest cosine to the float32 reference over the calibration texts.
        error: why it could not be loaded or run, if so.
    """

    engine: str
    exact: bool
    texts_per_second: float | None = None
    worst_cosine: float | None = None
    error: str | None = None

    def describe(self, min_cosine: float) -> str:
        """e.g. ``torch-bf16 150.3 texts/s, cosine 0.99989 (below 0.9999)``."""
        if self.error is not None or self.texts_per_second is None:
            return f"{self.engine} failed ({self.error})"
        text = f"{self.engine} {self.texts_per_second:g} texts/s"
        if self.worst_cosine is not None:
            text += f", cosine {self.worst_cosine:g}"
        return text if self.meets(min_cosine) else f"{text} (below {min_cosine:g})"

    def meets(self, min_cosine: float) -> bool:
        """Whether it may be chosen: it ran, and is exact or at least ``min_cosine`` faithful."""
        if self.error is not None or self.texts_per_second is None:
            return False
        return self.exact or (self.worst_cosine is not None and self.worst_cosine >= min_cosine)


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineChoice:
    """Which engine runs a model here, and why (shown as ``engine_choice`` by ``GET _inference``).

    Attributes:
        engine: the engine that runs.
        reason: ``measured`` (fastest that met ``min_cosine``), ``cached`` (a measurement made
            earlier on a CPU with the same model name and flags), ``set`` (``service_settings.engine``),
            ``measuring`` (the exact default serves while the engines are measured) or
            ``default (measurement failed: …)``.
        cpu: the CPU model and the flags that matter.
        min_cosine: the fidelity an inexact engine had to reach.
        figures: every candidate's measurement, fastest first.
    """

    engine: str
    reason: str
    cpu: str
    min_cosine: float
    figures: tuple[EngineFigures, ...] = ()

    def summary(self) -> str:
        """One line for people, e.g. ``onnx, measured on AMD EPYC (avx2 avx512f): onnx 310.2 texts/s…``,
        or ``measuring; serving on torch``."""
        if self.reason == MEASURING:
            return f"{MEASURING}; serving on {self.engine}"
        where = f"{self.engine}, {self.reason} on {self.cpu}"
        if not self.figures:
            return where
        parts = [figure.describe(self.min_cosine) for figure in self.figures]
        return f"{where}: {'; '.join(parts)}"

    def public(self) -> dict[str, Any]:
        body: dict[str, Any] = {"engine": self.engine, "reason": self.reason, "cpu": self.cpu}
        body["min_cosine"] = self.min_cosine
        if self.figures:
            body["figures"] = [{k: v for k, v in asdict(f).items() if v is not None} for f in self.figures]
        return body

    @classmethod
    def from_public(cls, data: Mapping[str, Any], *, reason: str) -> EngineChoice:
        """Read back what :meth:`public` wrote (``KeyError``/``TypeError`` if it is not that)."""
        figures = tuple(EngineFigures(**figure) for figure in data.get("figures", ()))
        return cls(
            engine=str(data["engine"]),
            reason=reason,
            cpu=str(data["cpu"]),
            min_cosine=float(data["min_cosine"]),
            figures=figures,
        )


def run_all(engine: EmbeddingEngine, batches: Sequence[TokenBatch]) -> NDArray[np.float32]:
    """The engine's vectors for every batch, stacked."""
    import numpy as np

    return np.concatenate([engine.forward(batch) for batch in batches])


def texts_per_second(
    engines: Mapping[str, EmbeddingEngine],
    groups: Sequence[Sequence[TokenBatch]],
    *,
    rounds: int,
    share: float = SERVING_SHARE,
) -> dict[str, float]:
    """Each engine's speed: per group of passes, its texts over the fastest of ``rounds`` interleaved
    rounds, timed beside a model of the HTTP worker's load (:mod:`serving_load`); then the geometric
    mean over the groups (warm the engines up first)."""
    seconds: dict[str, list[list[float]]] = {name: [[] for _ in groups] for name in engines}
    with serving_load(share):
        for _ in range(rounds):
            for name, engine in engines.items():
                for index, group in enumerate(groups):
                    started = time.perf_counter()
                    for batch in group:
                        engine.forward(batch)
                    seconds[name][index].append(time.perf_counter() - started)
    texts = [sum(int(batch.input_ids.shape[0]) for batch in group) for group in groups]
    return {
        name: statistics.geometric_mean(
            count / max(min(times), 1e-9) for count, times in zip(texts, per_group, strict=True)
        )
        for name, per_group in seconds.items()
    }


def worst_cosine(got: NDArray[np.float32], want: NDArray[np.float32]) -> float:
    """The lowest row-wise cosine between two sets of vectors."""
    import numpy as np

    dots = (got * want).sum(axis=1)
    norms = np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1)
    return float((dots / np.maximum(norms, 1e-12)).min())
