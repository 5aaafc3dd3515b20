"""Child process timing every candidate generation engine of one model (run by ``engine_choice``): the
generation kind's part of :mod:`hfgate.local.measuring.worker`.

Usage: ``python -m hfgate.local.generation.engine_measure_worker MODEL_DIR RECORD.json --task=text-generation
--cache-dir=DIR --engines=transformers-fp32,onnx [--threads=N] [--min-cosine=0.9999] [--rounds=2]``;
writes the choice as JSON to ``RECORD.json`` (atomically), exits 1 with the reason on stderr if no
engine qualifies. With ``--device=cuda*`` the transformers candidates (the float32 reference among
them) are loaded onto that GPU and measured there.

Fidelity: every calibration prompt is prefilled in one batch, then :data:`FIDELITY_STEPS` greedy steps
follow the reference's tokens (so every engine sees the same inputs); the figure is the worst cosine,
over prompts and steps, between an engine's next-token logits and the reference's. A candidate that keeps its
weights in fewer bits than one already below the floor (``onnx-int4`` after ``onnx-int8``) cannot qualify
and is not exported or timed (``needless``). Speed: greedy decode
steps (prefill not counted) of one row and of eight rows, each engine in turn within a round, the
median round kept (:mod:`hfgate.local.measuring.rounds`); the figure is the geometric mean of the two
tokens/s.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from hfgate.local.generation.architecture import GenerationTask
from hfgate.local.generation.engine_choice import CANDIDATES, SPEED_UNIT
from hfgate.local.generation.loading import LanguageModel, load_language_model, load_onnx_model
from hfgate.local.generation.onnx_export import PRECISIONS
from hfgate.local.machine import Machine, machine_of
from hfgate.local.measuring.fidelity import worst_cosine
from hfgate.local.measuring.record import MeasuredChoice
from hfgate.local.measuring.rounds import interleave
from hfgate.local.measuring.worker import NotMeasuredError, measure_candidates, worker_arguments, worker_main

ROUNDS = 2
REFERENCE = "transformers-fp32"
CALIBRATION_PROMPTS = (
    "The capital of France is",
    "Write a short poem about the sea.\n",
    "def fibonacci(n):\n    ",
    "Water boils at a temperature of",
    "Once upon a time, in a small village at the foot of the mountains, there lived",
    "Translate to French: I would like a cup of coffee, please.\n",
    "The three primary colours are",
    "Q: Who wrote Hamlet?\nA:",
)
FIDELITY_STEPS = 4
ROWS = (1, 8)
SPEED_STEPS = 16


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
    cosines: dict[str, float] = {}

    def load(name: str) -> tuple[LanguageModel, float]:
        if (why := needless(name, cosines, min_cosine=min_cosine)) is not None:
            raise NotMeasuredError(why)
        lm = reference if name == REFERENCE else load_one(name)
        cosines[name] = round(worst_cosine(logits_trace(lm, prompts, fed)[0], want), 6)
        return lm, cosines[name]

    def timed(models: Mapping[str, LanguageModel], qualified: set[str]) -> dict[str, tuple[float, str]]:
        speeds = decode_speeds(models, dict.fromkeys(models, prompts), rounds=rounds, qualified=qualified)
        return {name: (speed_figure(by_rows), _detail(by_rows)) for name, by_rows in speeds.items()}

    return measure_candidates(
        names,
        load,
        fidelity=dict,
        time=timed,
        exact=lambda name: CANDIDATES[name].exact,
        min_cosine=min_cosine,
        cpu=cpu.describe(),
        unit=SPEED_UNIT,
        attempt=attempt,
    )


def needless(name: str, cosines: Mapping[str, float], *, min_cosine: float) -> str | None:
    """Why candidate ``name`` need not be measured, given the worst cosines of those measured before it:
    it keeps every weight in fewer bits than a candidate already below ``min_cosine`` (so it cannot
    qualify, and its export, the slow part, is spared); ``None`` when it must be measured.

    >>> needless("onnx-int4", {"onnx-int8": 0.98}, min_cosine=0.9999)
    'onnx-int8 keeps more bits and measured cosine 0.98, below 0.9999'
    >>> needless("onnx-int4", {"onnx-int8": 0.99995}, min_cosine=0.9999) is None
    True
    """
    finer = CANDIDATES[name].coarser_than
    cosine = cosines.get(finer) if finer is not None else None
    if cosine is None or cosine >= min_cosine:
        return None
    return f"{finer} keeps more bits and measured cosine {cosine}, below {min_cosine}"


def encode_prompts(lm: LanguageModel) -> list[list[int]]:
    """The calibration prompts as the model's token ids."""
    return [list(lm.tokenizer(text)["input_ids"]) for text in CALIBRATION_PROMPTS]


def logits_trace(
    lm: LanguageModel, prompts: list[list[int]], follow: list[list[int]] | None
) -> tuple[Any, list[list[int]]]:
    """The next-token logits ``[steps + 1, rows, vocab]`` (float32 numpy) of a prefill of ``prompts`` and
    :data:`FIDELITY_STEPS` steps, fed ``follow``'s tokens (or, without it, its own greedy tokens); and
    the tokens fed, step by step."""
    import numpy as np

    batch = lm.make_batch()
    scores = [batch.prefill(prompts).float().numpy()]
    fed: list[list[int]] = []
    for step in range(FIDELITY_STEPS):
        tokens = follow[step] if follow is not None else [int(i) for i in scores[-1].argmax(axis=-1)]
        fed.append(tokens)
        scores.append(batch.step(tokens).float().numpy())
    return np.stack(scores), fed


def decode_seconds(lm: LanguageModel, prompts: list[list[int]], steps: int) -> float:
    """Seconds for ``steps`` greedy decode steps of a batch of ``prompts`` (after their prefill)."""
    batch = lm.make_batch()
    tokens = [int(i) for i in batch.prefill(prompts).argmax(dim=-1)]
    started = time.perf_counter()
    for _ in range(steps):
        tokens = [int(i) for i in batch.step(tokens).argmax(dim=-1)]
    return time.perf_counter() - started


def decode_speeds(
    models: Mapping[str, LanguageModel],
    prompts: Mapping[str, list[list[int]]],
    *,
    rounds: int,
    qualified: Collection[str] = (),
) -> dict[str, dict[int, float]]:
    """Each engine's decode tokens/s for each of :data:`ROWS`, median of its interleaved rounds (after a
    short warm-up of each shape)."""
    seconds: dict[str, dict[int, list[float]]] = {name: {rows: [] for rows in ROWS} for name in models}
    for name, lm in models.items():
        for rows in ROWS:
            decode_seconds(lm, _rows(prompts[name], rows), 2)

    def time_round(name: str) -> None:
        for rows in ROWS:
            seconds[name][rows].append(decode_seconds(models[name], _rows(prompts[name], rows), SPEED_STEPS))

    def speed(name: str) -> float:
        return speed_figure(_speeds(seconds[name]))

    interleave(list(models), rounds=rounds, time_round=time_round, speed=speed, qualified=qualified)
    return {name: _speeds(by_rows) for name, by_rows in seconds.items()}


def _speeds(by_rows: Mapping[int, list[float]]) -> dict[int, float]:
    return {rows: rows * SPEED_STEPS / max(statistics.median(times), 1e-9) for rows, times in by_rows.items()}


def speed_figure(by_rows: Mapping[int, float]) -> float:
    """The geometric mean of the tokens/s of every row count: one stream and a full batch weigh the same."""
    return math.exp(sum(math.log(speed) for speed in by_rows.values()) / len(by_rows))


def _detail(by_rows: Mapping[int, float]) -> str:
    return ", ".join(f"{rows} row{'s' if rows > 1 else ''} {speed:.1f}" for rows, speed in by_rows.items())


def _rows(prompts: list[list[int]], rows: int) -> list[list[int]]:
    return [prompts[i % len(prompts)] for i in range(rows)]


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
    return worker_main(argv, parser, _measure)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
