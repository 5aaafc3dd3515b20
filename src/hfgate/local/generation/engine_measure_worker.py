"""Child process timing every candidate generation engine of one model (run by ``engine_choice``).

Usage: ``python -m hfgate.local.generation.engine_measure_worker MODEL_DIR RECORD.json --task=text-generation
--cache-dir=DIR --engines=transformers-fp32,onnx [--threads=N] [--min-cosine=0.9999] [--rounds=2]``;
writes the choice as JSON to ``RECORD.json`` (atomically), exits 1 with the reason on stderr if no
engine qualifies.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hfgate.local.cpu import CpuSignature, read_cpu
from hfgate.local.engine_record import MeasuredChoice, MeasuredEngine, pick, write_choice
from hfgate.local.generation.architecture import GenerationTask
from hfgate.local.generation.engine_choice import CANDIDATES, SPEED_UNIT
from hfgate.local.generation.loading import LanguageModel, load_language_model, load_onnx_model
from hfgate.local.generation.measurement import decode_speeds, encode_prompts, logits_trace, speed_figure, worst_cosine
from hfgate.local.generation.onnx_export import PRECISIONS
from hfgate.local.measure_child import worker_arguments
from hfgate.local.measure_load import LoadMeter

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
    models: dict[str, LanguageModel] = {}
    cosines: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name in names:
        try:
            lm = (
                reference
                if name == REFERENCE
                else load_candidate(name, path, task=task, cache_dir=cache_dir, threads=threads)
            )
            cosines[name] = round(worst_cosine(logits_trace(lm, prompts, fed)[0], want), 6)
            models[name] = lm
        except Exception as exc:  # one engine failing (e.g. an export) leaves the others in the running
            errors[name] = f"{type(exc).__name__}: {exc}"
    with LoadMeter() as meter:
        speeds = decode_speeds(models, dict.fromkeys(models, prompts), rounds=rounds)
    figures = [
        MeasuredEngine(
            engine=name,
            exact=CANDIDATES[name].exact,
            speed=round(speed_figure(speeds[name]), 1),
            worst_cosine=cosines[name],
            detail=", ".join(
                f"{rows} row{'s' if rows > 1 else ''} {speed:.1f}" for rows, speed in speeds[name].items()
            ),
        )
        for name in models
    ]
    figures += [
        MeasuredEngine(engine=name, exact=CANDIDATES[name].exact, error=error) for name, error in errors.items()
    ]
    return pick(figures, min_cosine=min_cosine, cpu=cpu.describe(), unit=SPEED_UNIT, load=meter.load, attempt=attempt)


def main(argv: list[str]) -> int:
    parser = worker_arguments("engine_measure_worker", rounds=ROUNDS)
    parser.add_argument("--task", required=True, choices=("text-generation", "text2text-generation"))
    parser.add_argument("--cache-dir", type=Path, required=True)
    args: Any = parser.parse_args(argv)
    try:
        choice = measure(
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
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    write_choice(args.record, choice)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
