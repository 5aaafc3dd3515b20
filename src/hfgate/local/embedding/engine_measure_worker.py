"""Child process timing every candidate embedding engine of one model (run by ``engine_choice``): the
embedding kind's part of :mod:`hfgate.local.measuring.worker`.

Usage: ``python -m hfgate.local.embedding.engine_measure_worker MODEL_DIR RECORD.json --engines=onnx,torch
[--threads=N] [--min-cosine=0.9999] [--cache-dir=DIR] [--device=cuda:0] [--rounds=3] [--attempt=K]``; writes the
:class:`~hfgate.local.measuring.record.MeasuredChoice` as JSON to ``RECORD.json`` (atomically), exits 1
with the reason on stderr if no engine qualifies.

Engines are timed in interleaved rounds (:mod:`hfgate.local.measuring.rounds`) and ranked by their
fastest round: load from a neighbour only ever slows a round. Every round runs beside a model of the
HTTP worker's own load (:mod:`~hfgate.local.embedding.serving_load`). The texts are cut into passes as
the batcher would cut them, so that an engine's cost per pass counts as in serving, and an engine's
speed is the geometric mean of its texts/s on each group (short texts; passages), so the passages'
longer passes do not decide alone. Fidelity is the worst cosine, over the calibration texts, to the
vectors of a float32 engine.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfgate.local.batching import BatchLimits, pack_by_length
from hfgate.local.batching.limits import default_limits
from hfgate.local.embedding.calibration import calibration_texts
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.engine_choice import EXACT_ENGINES, SPEED_UNIT, load_engine
from hfgate.local.embedding.pipeline import read_pipeline
from hfgate.local.embedding.serving_load import SERVING_SHARE, serving_load
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch, model_max_length
from hfgate.local.machine import Machine, machine_of
from hfgate.local.measuring.fidelity import worst_cosine
from hfgate.local.measuring.record import MeasuredChoice
from hfgate.local.measuring.rounds import interleave
from hfgate.local.measuring.worker import measure_candidates, worker_arguments, worker_main

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ROUNDS = 3
_REFERENCES = ("cuda", "torch", "onnx")


def measure(
    path: Path,
    *,
    options: EngineOptions,
    names: list[str],
    min_cosine: float,
    cpu: Machine,
    rounds: int = ROUNDS,
    attempt: int = 1,
) -> MeasuredChoice:
    """Load every engine in ``names``, time them interleaved, and pick the fastest that qualifies.

    Raises:
        RuntimeError: no engine ran, or none met ``min_cosine``; the message gives each one's figures.
    """
    pipeline = options.pipeline
    tokenizer = TextTokenizer(path, max_length=pipeline.max_seq_length, lowercase=pipeline.lowercase)
    groups = [
        served_passes(tokenizer.encode(texts), default_limits(options.device, threads=options.threads))
        for texts in calibration_texts()
    ]
    batches = [batch for group in groups for batch in group]

    def load(name: str) -> tuple[EmbeddingEngine, NDArray[np.float32]]:
        engine = load_engine(name, path, options=options)
        return engine, run_all(engine, batches)  # also the warm-up pass

    def fidelity(vectors: Mapping[str, NDArray[np.float32]]) -> dict[str, float | None]:
        reference = next((vectors[name] for name in _REFERENCES if name in vectors), None)
        return {n: None if reference is None else round(worst_cosine(v, reference), 6) for n, v in vectors.items()}

    def timed(engines: Mapping[str, EmbeddingEngine], qualified: set[str]) -> dict[str, tuple[float, None]]:
        speeds = texts_per_second(engines, groups, rounds=rounds, qualified=qualified)
        return {name: (speed, None) for name, speed in speeds.items()}

    return measure_candidates(
        names,
        load,
        fidelity=fidelity,
        time=timed,
        exact=EXACT_ENGINES.__contains__,
        min_cosine=min_cosine,
        cpu=cpu.describe(),
        unit=SPEED_UNIT,
        attempt=attempt,
    )


def served_passes(encodings: list[Any], limits: BatchLimits) -> list[TokenBatch]:
    """The passes the batcher would cut ``encodings`` into, all waiting at once."""
    lengths = [len(encoding.ids) for encoding in encodings]
    packs = pack_by_length(
        lengths,
        max_tokens=limits.max_batch_tokens,
        max_size=limits.max_batch_size,
        pass_overhead=limits.pass_overhead_tokens,
    )
    return [TokenBatch.pad([encodings[i] for i in pack]) for pack in packs]


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
    qualified: Collection[str] = (),
) -> dict[str, float]:
    """Each engine's speed: per group of passes, its texts over the fastest of its interleaved rounds,
    timed beside a model of the HTTP worker's load (:mod:`serving_load`); then the geometric mean over
    the groups (warm the engines up first)."""
    seconds: dict[str, list[list[float]]] = {name: [[] for _ in groups] for name in engines}
    texts = [sum(int(batch.input_ids.shape[0]) for batch in group) for group in groups]

    def speed(name: str) -> float:
        per_group = zip(texts, seconds[name], strict=True)
        return statistics.geometric_mean(count / max(min(times), 1e-9) for count, times in per_group)

    def time_round(name: str) -> None:
        for index, group in enumerate(groups):
            started = time.perf_counter()
            for batch in group:
                engines[name].forward(batch)
            seconds[name][index].append(time.perf_counter() - started)

    with serving_load(share):
        interleave(list(engines), rounds=rounds, time_round=time_round, speed=speed, qualified=qualified)
    return {name: speed(name) for name in engines}


def _measure(args: Any) -> MeasuredChoice:
    pipeline = read_pipeline(args.model_dir, fallback_max_length=model_max_length(args.model_dir))
    options = EngineOptions(pipeline=pipeline, cache_dir=args.cache_dir, threads=args.threads, device=args.device)
    return measure(
        args.model_dir,
        options=options,
        names=args.engines.split(","),
        min_cosine=args.min_cosine,
        cpu=machine_of(args.device),
        rounds=args.rounds,
        attempt=args.attempt,
    )


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:], worker_arguments("engine_measure_worker", rounds=ROUNDS), _measure))
