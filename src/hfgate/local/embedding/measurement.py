"""Timing embedding engines against each other, and their fidelity to float32, on this machine.

Engines are timed interleaved (each round runs every engine once, in turn) and ranked by their fastest
round: load from a neighbour only ever slows a round (a two-thread torch pass whose second thread is
descheduled took 10-12x longer on a shared 2-vCPU VM, an ONNX Runtime pass 1.3-1.8x), so the fastest
round is each engine's speed with the least interference, and interleaving gives every engine its
chance at the quiet moments (an engine at less than half the fastest qualifying one's speed after a round
is not timed again: :mod:`hfgate.local.measuring.rounds`). Every round runs beside a model of the HTTP worker's own load
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
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from hfgate.local.embedding.serving_load import SERVING_SHARE, serving_load
from hfgate.local.measuring.rounds import contenders

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from hfgate.local.embedding.engine import EmbeddingEngine
    from hfgate.local.embedding.tokens import TokenBatch


SPEED_UNIT = "texts/s"
"""The unit of an embedding engine's speed: calibration texts per second (geometric mean over the groups
of passes of each one's fastest round)."""


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
    the groups (warm the engines up first). After each round only the :func:`contenders` of the
    ``qualified`` ones (those within the fidelity floor) are timed again."""
    seconds: dict[str, list[list[float]]] = {name: [[] for _ in groups] for name in engines}
    texts = [sum(int(batch.input_ids.shape[0]) for batch in group) for group in groups]

    def speed(name: str) -> float:
        per_group = zip(texts, seconds[name], strict=True)
        return statistics.geometric_mean(count / max(min(times), 1e-9) for count, times in per_group)

    running = set(engines)
    with serving_load(share):
        for _ in range(rounds):
            for name in [name for name in engines if name in running]:
                for index, group in enumerate(groups):
                    started = time.perf_counter()
                    for batch in group:
                        engines[name].forward(batch)
                    seconds[name][index].append(time.perf_counter() - started)
            running = contenders({name: speed(name) for name in running}, qualified=qualified)
    return {name: speed(name) for name in engines}


def worst_cosine(got: NDArray[np.float32], want: NDArray[np.float32]) -> float:
    """The lowest row-wise cosine between two sets of vectors."""
    import numpy as np

    dots = (got * want).sum(axis=1)
    norms = np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1)
    return float((dots / np.maximum(norms, 1e-12)).min())
