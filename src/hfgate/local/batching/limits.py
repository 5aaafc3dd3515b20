"""How big a shared forward pass may get, and how much work may wait for one."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from hfgate.config import Settings
from hfgate.errors import BadRequestError


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchLimits:
    """Bounds of dynamic batching.

    Args:
        max_batch_tokens: padded tokens in one forward pass (texts x longest text), like TEI's
            ``max_batch_tokens``; a single text longer than this still runs, alone. Smaller than TEI's
            GPU default on purpose: on CPU short passes keep attention in cache
            (docs/benchmarks/embeddings.md), and short steps let a generation interleave sooner. By
            default that much per pair of cores (``default_limits``).
        max_batch_size: texts in one forward pass. On CPU, passes beyond a few dozen short texts get
            slower per text (activations leave the cache) and hold the compute thread longer.
        queue_size: texts waiting for a forward pass; a request that would overflow it is refused
            with 429 (a request larger than the whole queue is still admitted when the queue is empty).
        pass_overhead_tokens: what one more forward pass costs, in padded tokens' worth of compute;
            a batch is cut where a longer text would add more padding than that (``pack_by_length``;
            its measured effect: ``docs/benchmarks/embeddings.md``). ``None``: cut on the bounds only.

    Raises:
        BadRequestError: a bound is not positive.

    Example:
        >>> BatchLimits(max_batch_tokens=4096, max_batch_size=32, queue_size=1024).queue_size
        1024
    """

    max_batch_tokens: int = 1024
    max_batch_size: int = 32
    queue_size: int = 2048
    pass_overhead_tokens: int | None = 32

    def __post_init__(self) -> None:
        for name in ("max_batch_tokens", "max_batch_size", "queue_size"):
            if getattr(self, name) < 1:
                raise BadRequestError(f"[{name}] must be at least 1, got [{getattr(self, name)}]")

    @classmethod
    def from_settings(cls, settings: Settings, *, device: str = "cpu") -> BatchLimits:
        """The limits ``HFGATE_LOCAL_MAX_BATCH_TOKENS``, ``_MAX_BATCH_SIZE`` and ``_QUEUE_SIZE`` set; where
        the two pass bounds are not set, :func:`default_limits`' for the device and the cores.

        Example:
            >>> BatchLimits.from_settings(Settings(), device="cuda").max_batch_size
            512
        """
        base = default_limits(device, threads=settings.local_threads)
        given = settings.model_fields_set
        bounds = {name: getattr(settings, f"local_{name}") for name in _PASS_BOUNDS if f"local_{name}" in given}
        return replace(base, queue_size=settings.local_queue_size, **bounds)


_PASS_BOUNDS = ("max_batch_tokens", "max_batch_size")
GPU_LIMITS = BatchLimits(max_batch_tokens=16384, max_batch_size=512, pass_overhead_tokens=2048)
"""Passes on a GPU, where a pass costs launches more than arithmetic: TEI's ``max_batch_tokens``, and a
pass overhead of the tokens a GPU computes in the time of a pass's fixed cost (reasoned from a measured
forward pass, not measured through hfgate: docs/gpu.md, "Passes")."""


def default_limits(device: str, *, threads: int = 0) -> BatchLimits:
    """The pass bounds when no setting says otherwise: :data:`GPU_LIMITS` on a GPU; on the CPU the bounds
    measured on 2 cores (1,024 tokens, 32 texts) for each pair of the ``threads`` cores (0: every core
    this process may use), so that a pass holds a text or more per core for the engines that split it
    into one row shard per core (``embedding.shards``).

    Example:
        >>> default_limits("cpu", threads=16).max_batch_tokens, default_limits("cpu", threads=2).max_batch_tokens
        (8192, 1024)
    """
    if device.startswith("cuda"):
        return GPU_LIMITS
    pairs = max(1, (threads or len(os.sched_getaffinity(0))) // 2)
    return BatchLimits(max_batch_tokens=1024 * pairs, max_batch_size=32 * pairs)
