"""Child process timing every candidate generation engine of one model (run by ``engine_choice``).

Usage: ``python -m hfgate.local.generation.engine_measure_worker MODEL_DIR RECORD.json --task=text-generation
--cache-dir=DIR --engines=transformers-fp32,onnx [--threads=N] [--min-cosine=0.9999] [--rounds=2]``;
writes the choice as JSON to ``RECORD.json`` (atomically), exits 1 with the reason on stderr if no
engine qualifies (:mod:`hfgate.local.measuring.worker`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hfgate.local.cpu import CpuSignature, read_cpu
from hfgate.local.generation.architecture import GenerationTask
from hfgate.local.generation.engine_choice import CANDIDATES, SPEED_UNIT
from hfgate.local.generation.loading import LanguageModel, load_language_model, load_onnx_model
from hfgate.local.generation.measurement import decode_speeds, encode_prompts, logits_trace, speed_figure, worst_cosine
from hfgate.local.generation.onnx_export import PRECISIONS
from hfgate.local.measuring.load import LoadMeter
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine
from hfgate.local.measuring.worker import choice_of, load_each, worker_arguments, worker_main

ROUNDS = 2
REFERENCE = "transformers-fp32"


def load_candidate(name: str, path: Path, *, task: GenerationTask, cache_dir: Path, threads: int) -> LanguageModel:
    """The candidate called ``name`` (a key of :data:`CANDIDATES`), loaded from the model at ``path``."""
    candidate = CANDIDATES[name]
    if candidate.engine == "transformers":
        return load_language_model(path, task=task, dtype=candidate.dtype, threads=threads)
    return load_onnx_model(path, precision=PRECISIONS[candidate.engine], cache_dir=cache_dir, threads=threads)


def measure(
    path: Path,
    *,
    task: GenerationTask,
    cache_dir: Path,
    names: list[str],
    min_cosine: float,
    cpu: CpuSignature,
    threads: int = 0,
    rounds: int = ROUNDS,
    attempt: int = 1,
) -> MeasuredChoice:
    """Load every engine in ``names``, measure its fidelity to transformers float32 and time them
    interleaved; pick the fastest that qualifies.

    Raises:
        RuntimeError: no engine ran, or none met ``min_cosine``; the message gives each one's figures.
    """
    reference = load_candidate(REFERENCE, path, task=task, cache_dir=cache_dir, threads=threads)
    prompts = encode_prompts(reference)
    want, fed = logits_trace(reference, prompts, None)

    def load(name: str) -> tuple[LanguageModel, float]:
        lm = (
            reference
            if name == REFERENCE
            else load_candidate(name, path, task=task, cache_dir=cache_dir, threads=threads)
        )
        return lm, round(worst_cosine(logits_trace(lm, prompts, fed)[0], want), 6)

    loaded, errors = load_each(names, load)
    models = {name: lm for name, (lm, _) in loaded.items()}
    qualified = {name for name, (_, cosine) in loaded.items() if CANDIDATES[name].exact or cosine >= min_cosine}
    with LoadMeter() as meter:
        speeds = decode_speeds(models, dict.fromkeys(models, prompts), rounds=rounds, qualified=qualified)
    figures = [
        MeasuredEngine(
            engine=name,
            exact=CANDIDATES[name].exact,
            speed=round(speed_figure(speeds[name]), 1),
            worst_cosine=cosine,
            detail=", ".join(
                f"{rows} row{'s' if rows > 1 else ''} {speed:.1f}" for rows, speed in speeds[name].items()
            ),
        )
        for name, (_, cosine) in loaded.items()
    ]
    return choice_of(
        figures,
        errors,
        exact=lambda name: CANDIDATES[name].exact,
        min_cosine=min_cosine,
        cpu=cpu.describe(),
        unit=SPEED_UNIT,
        load=meter.load,
        attempt=attempt,
    )


def _measure(args: Any) -> MeasuredChoice:
    return measure(
        args.model_dir,
        task=args.task,
        cache_dir=args.cache_dir,
        names=args.engines.split(","),
        min_cosine=args.min_cosine,
        cpu=read_cpu(),
        threads=args.threads,
        rounds=args.rounds,
        attempt=args.attempt,
    )


def main(argv: list[str]) -> int:
    parser = worker_arguments("engine_measure_worker", rounds=ROUNDS)
    parser.add_argument("--task", required=True, choices=("text-generation", "text2text-generation"))
    parser.add_argument("--cache-dir", type=Path, required=True)
    return worker_main(argv, parser, _measure)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
