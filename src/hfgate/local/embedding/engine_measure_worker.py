"""Child process timing every candidate embedding engine of one model (run by ``engine_choice``).

Usage: ``python -m hfgate.local.embedding.engine_measure_worker MODEL_DIR RECORD.json --engines=onnx,torch
[--threads=N] [--min-cosine=0.9999] [--cache-dir=DIR] [--device=cuda:0] [--rounds=3] [--attempt=K]``; writes the
:class:`~hfgate.local.measuring.record.MeasuredChoice` as JSON to ``RECORD.json`` (atomically), exits 1
with the reason on stderr if no engine qualifies (:mod:`hfgate.local.measuring.worker`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hfgate.local.batching import BatchLimits, pack_by_length
from hfgate.local.batching.limits import default_limits
from hfgate.local.embedding.calibration import calibration_texts
from hfgate.local.embedding.engine import EmbeddingEngine, EngineOptions
from hfgate.local.embedding.engine_choice import EXACT_ENGINES, load_engine
from hfgate.local.embedding.measurement import SPEED_UNIT, run_all, texts_per_second, worst_cosine
from hfgate.local.embedding.pipeline import read_pipeline
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch, model_max_length
from hfgate.local.machine import Machine, machine_of
from hfgate.local.measuring.load import LoadMeter
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine
from hfgate.local.measuring.worker import choice_of, load_each, worker_arguments, worker_main

ROUNDS = 3


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

    def load(name: str) -> tuple[EmbeddingEngine, Any]:
        engine = load_engine(name, path, options=options)
        return engine, run_all(engine, batches)  # also the warm-up pass

    loaded, errors = load_each(names, load)
    engines = {name: engine for name, (engine, _) in loaded.items()}
    vectors = {name: found for name, (_, found) in loaded.items()}
    reference = next((vectors[name] for name in ("cuda", "torch", "onnx") if name in vectors), None)
    cosines = {
        name: None if reference is None else round(worst_cosine(found, reference), 6) for name, found in vectors.items()
    }
    qualified = {name for name, cosine in cosines.items() if name in EXACT_ENGINES or (cosine or 0.0) >= min_cosine}
    with LoadMeter() as meter:
        speeds = texts_per_second(engines, groups, rounds=rounds, qualified=qualified)
    figures = [
        MeasuredEngine(
            engine=name, exact=name in EXACT_ENGINES, speed=round(speeds[name], 1), worst_cosine=cosines[name]
        )
        for name in engines
    ]
    return choice_of(
        figures,
        errors,
        exact=EXACT_ENGINES.__contains__,
        min_cosine=min_cosine,
        cpu=cpu.describe(),
        unit=SPEED_UNIT,
        load=meter.load,
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


def _measure(args: Any) -> MeasuredChoice:
    pipeline = read_pipeline(args.model_dir, fallback_max_length=model_max_length(args.model_dir))
    options = EngineOptions(
        pipeline=pipeline, cache_dir=args.cache_dir or args.record.parent, threads=args.threads, device=args.device
    )
    return measure(
        args.model_dir,
        options=options,
        names=args.engines.split(","),
        min_cosine=args.min_cosine,
        cpu=machine_of(args.device),
        rounds=args.rounds,
        attempt=args.attempt,
    )


def main(argv: list[str]) -> int:
    parser = worker_arguments("engine_measure_worker", rounds=ROUNDS)
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--device", default="cpu")
    return worker_main(argv, parser, _measure)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
