"""Timing generation engines against each other, and their fidelity to transformers float32.

Fidelity: every calibration prompt is prefilled in one batch, then :data:`FIDELITY_STEPS` greedy steps
follow the reference's tokens (so every engine sees the same inputs); the figure is the worst cosine,
over prompts and steps, between an engine's next-token logits and the reference's. Speed: greedy decode
steps (prefill not counted) of one row and of eight rows, each engine in turn within a round, the
median round kept (an engine at less than half the fastest qualifying one's speed is not timed again:
:mod:`hfgate.local.measuring.rounds`); the figure is the geometric mean of the two tokens/s.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from hfgate.local.measuring.rounds import contenders

if TYPE_CHECKING:
    from hfgate.local.generation.loading import LanguageModel

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


def worst_cosine(got: Any, want: Any) -> float:
    """The lowest cosine between matching logit vectors (last axis) of two traces."""
    import numpy as np

    dots = (got.astype(np.float64) * want).sum(axis=-1)
    norms = np.linalg.norm(got.astype(np.float64), axis=-1) * np.linalg.norm(want.astype(np.float64), axis=-1)
    return float((dots / np.maximum(norms, 1e-12)).min())


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
    short warm-up of each shape); after each round only the :func:`contenders` of the ``qualified`` ones
    (those within the fidelity floor) are timed again."""
    seconds: dict[str, dict[int, list[float]]] = {name: {rows: [] for rows in ROWS} for name in models}
    for name, lm in models.items():
        for rows in ROWS:
            decode_seconds(lm, _rows(prompts[name], rows), 2)
    running = set(models)
    for _ in range(rounds):
        for name in [name for name in models if name in running]:
            for rows in ROWS:
                seconds[name][rows].append(decode_seconds(models[name], _rows(prompts[name], rows), SPEED_STEPS))
        running = contenders({name: speed_figure(_speeds(seconds[name])) for name in running}, qualified=qualified)
    return {name: _speeds(by_rows) for name, by_rows in seconds.items()}


def _speeds(by_rows: Mapping[int, list[float]]) -> dict[int, float]:
    return {rows: rows * SPEED_STEPS / max(statistics.median(times), 1e-9) for rows, times in by_rows.items()}


def speed_figure(by_rows: Mapping[int, float]) -> float:
    """The geometric mean of the tokens/s of every row count: one stream and a full batch weigh the same."""
    return math.exp(sum(math.log(speed) for speed in by_rows.values()) / len(by_rows))


def _rows(prompts: list[list[int]], rows: int) -> list[list[int]]:
    return [prompts[i % len(prompts)] for i in range(rows)]
