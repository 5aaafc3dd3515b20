"""Child process timing every candidate generation engine of one model (run by ``engine_choice``).

Usage: ``python -m hfgate.local.generation.engine_measure_worker MODEL_DIR RECORD.json --task=text-generation
--cache-dir=DIR --engines=transformers-fp32,onnx [--threads=N] [--min-cosine=0.9999] [--rounds=2]``;
writes the choice as JSON to ``RECORD.json`` (atomically), exits 1 with the reason on stderr if no
engine qualifies (:mod:`hfgate.local.measuring.worker`). With ``--device=cuda*`` the transformers
candidates (the float32 reference among them) are loaded onto that GPU and measured there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hfgate.local.generation.architecture import GenerationTask
from hfgate.local.generation.engine_choice import CANDIDATES, SPEED_UNIT
from hfgate.local.generation.loading import LanguageModel, load_language_model, load_onnx_model
from hfgate.local.generation.measurement import decode_speeds, encode_prompts, logits_trace, speed_figure, worst_cosine
from hfgate.local.generation.onnx_export import PRECISIONS
from hfgate.local.machine import Machine, machine_of
from hfgate.local.measuring.load import LoadMeter
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine
from hfgate.local.measuring.worker import choice_of, load_each, worker_arguments, worker_main

ROUNDS = 2
REFERENCE = "transformers-fp32"


def load_candidate(
    name: str, path: Path, *, task: GenerationTask, cache_dir: Path, threads: int, device: str = "cpu"
) -> LanguageModel:
    """The candidate called ``name`` (a key of :data:`CANDIDATES`), loaded from the model at ``path``; a
    transformers candidate on ``device``, an ONNX one on the CPU."""
    candidate = CANDIDATES[name]
    if candidate.engine == "transformers":
        return load_language_model(path, task=task, dtype=candidate.dtype, threads=threads, device=device)
    return load_onnx_model(path, precision=PRECISIONS[candidate.engine], cache_dir=cache_dir, threads=threads)


def measure(
    path: Path,
    *,
    task: GenerationTask,
    cache_dir: Path,
    names: list[str],
    min_cosine: float,
    cpu: Machine,
    threads: int = 0,
    rounds: int = ROUNDS,
    attempt: int = 1,
    device: str = "cpu",
) -> MeasuredChoice:
    """Load every engine in ``names``, measure its fidelity to transformers float32 and time them
    interleaved; pick the fastest that qualifies. ``cpu`` is the machine the figures are filed under
    (``device``'s: this CPU, or the GPU the transformers candidates run on).

    Raises:
        RuntimeError: no engine ran, or none met ``min_cosine``; the message gives each one's figures.
    """

    def load_one(name: str) -> LanguageModel:
        return load_candidate(name, path, task=task, cache_dir=cache_dir, threads=threads, device=device)

    reference = load_one(REFERENCE)
    prompts = encode_prompts(reference)
    want, fed = logits_trace(reference, prompts, None)

    def load(name: str) -> tuple[LanguageModel, float]:
        lm = reference if name == REFERENCE else load_one(name)
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
        cpu=machine_of(args.device),
        threads=args.threads,
        rounds=args.rounds,
        attempt=args.attempt,
        device=args.device,
    )


def main(argv: list[str]) -> int:
    parser = worker_arguments("engine_measure_worker", rounds=ROUNDS)
    parser.add_argument("--task", required=True, choices=("text-generation", "text2text-generation"))
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    return worker_main(argv, parser, _measure)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
