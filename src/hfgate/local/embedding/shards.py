"""Splitting one forward pass into row shards that run at once, one core each (data parallelism).

ONNX Runtime's own way of using several cores splits every operator of a pass between its threads and
waits for all of them at the end of each one: hundreds of hand-offs per pass. Without spinning (see
``onnx_session``) each hand-off wakes a sleeping thread, and a thread the OS has descheduled holds up
the whole pass. Single-threaded runs on shards of a batch cost less CPU per text than intra-op threads
on the whole (``docs/benchmarks/embeddings.md``), and each shard is cut to its own longest text, so a
shard of short texts pads less than the whole batch did.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from hfgate.local.embedding.tokens import TokenBatch

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Forward = Callable[[TokenBatch], "NDArray[np.float32]"]


def core_count(threads: int) -> int:
    """``threads``, or with 0 the cores this process may run on."""
    return threads or len(os.sched_getaffinity(0))


def split_rows(lengths: NDArray[np.int64], shards: int) -> list[NDArray[np.int64]]:
    """Row indices in at most ``shards`` groups of similar length, the largest group's padded tokens
    (rows x its longest row) as few as can be.

    Example:
        >>> [s.tolist() for s in split_rows(np.array([9, 2, 3, 8]), 2)]
        [[1, 2], [3, 0]]
    """
    import numpy as np

    order = np.argsort(lengths, kind="stable")
    ordered = [int(n) for n in lengths[order]]
    low, high = max(ordered), len(ordered) * max(ordered)
    while low < high:  # the least padded cost per shard that ``shards`` shards can keep to
        middle = (low + high) // 2
        low, high = (low, middle) if len(_cuts(ordered, middle)) < shards else (middle + 1, high)
    return np.split(order, _cuts(ordered, low))


def _cuts(ordered: list[int], cost: int) -> list[int]:
    """Where to cut ascending lengths so that no group pads to more than ``cost`` tokens."""
    cuts, start = [], 0
    for index, length in enumerate(ordered):
        if (index - start + 1) * length > cost:
            cuts.append(index)
            start = index
    return cuts


class Shards:
    """Runs ``forward`` on row shards of a batch at once: the calling thread takes one, helpers the rest.

    Args:
        count: shards per pass (the cores to use); 1 runs every batch whole on the calling thread.

    Example:
        >>> shards = Shards(2)
        >>> # vectors = shards.run(session_forward, batch)
    """

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self._helpers = ThreadPoolExecutor(self.count - 1, "hfgate-shard") if self.count > 1 else None

    def run(self, forward: Forward, batch: TokenBatch) -> NDArray[np.float32]:
        """``forward``'s vectors for every row of ``batch``, in the batch's order."""
        import numpy as np

        lengths = batch.attention_mask.sum(axis=1)
        parts = split_rows(lengths, self.count) if self._helpers is not None else []
        if len(parts) < 2:
            return forward(batch)
        assert self._helpers is not None
        pending = [self._helpers.submit(forward, batch.rows(rows)) for rows in parts[1:]]
        results = [forward(batch.rows(parts[0])), *(future.result() for future in pending)]
        vectors = np.empty((len(lengths), results[0].shape[1]), dtype=results[0].dtype)
        for rows, result in zip(parts, results, strict=True):
            vectors[rows] = result
        return vectors

    def close(self) -> None:
        if self._helpers is not None:
            self._helpers.shutdown(wait=False)
