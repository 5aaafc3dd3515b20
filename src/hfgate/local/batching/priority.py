"""Background work yields to interactive work in the batcher's passes.

Work submitted while :data:`BACKGROUND` is set (a batch line: ``hfgate.batches.calls`` sets it around the
line's call of the app, and every task that call creates inherits it) is *background*; everything else is
*interactive*. The rule (:func:`choose_pass`):

- while an interactive text waits, the next pass is the length-sorted pass around the oldest interactive
  text, cut from the interactive texts alone; background texts only fill the room left in it: no longer
  than its longest text (so no more padding per text), within ``max_batch_size`` and ``max_batch_tokens``,
  and, with ``pass_overhead_tokens``, only where a text's own padding costs less than a pass of its own;
- a pass of background texts only runs when no interactive text waits (then oldest first, as before);
- aging: a background text that has waited ``background_age`` seconds (:data:`BACKGROUND_AGE_S` by
  default) counts as interactive, so a steady interactive load never starves a batch.

The pass already running is never interrupted: an interactive text arriving during a background pass
runs in the next one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from hfgate.local.batching.limits import BatchLimits
from hfgate.local.batching.packing import pack_by_length

BACKGROUND: ContextVar[bool] = ContextVar("hfgate_batching_background", default=False)
"""Set: what is submitted now is background work (a batch line), which yields to interactive work."""

BACKGROUND_AGE_S = 2.0
"""Seconds after which a waiting background text counts as interactive (no batch is starved)."""


@contextmanager
def background() -> Iterator[None]:
    """Mark the work submitted inside (and in the tasks created inside) as background."""
    token = BACKGROUND.set(True)
    try:
        yield
    finally:
        BACKGROUND.reset(token)


def choose_pass(lengths: Sequence[int], urgent: Sequence[bool], limits: BatchLimits) -> list[int]:
    """The indices (into ``lengths``, in arrival order) of the texts the next pass computes.

    Args:
        lengths: token count of each waiting text, oldest first.
        urgent: per text, whether it is interactive (or background waited past its age).
        limits: the pass's bounds.

    Example:
        >>> choose_pass([2, 2, 3, 9], [False, False, True, False], BatchLimits(max_batch_tokens=8))
        [0, 2]
    """
    picked = [i for i, u in enumerate(urgent) if u]
    if not picked:
        return _around_oldest(range(len(lengths)), lengths, limits)
    core = _around_oldest(picked, lengths, limits)
    longest = max(lengths[i] for i in core)
    room = min(limits.max_batch_size, limits.max_batch_tokens // longest) - len(core)
    if room <= 0:
        return core
    overhead = limits.pass_overhead_tokens
    fill = [
        i
        for i, u in enumerate(urgent)
        if not u and lengths[i] <= longest and (overhead is None or longest - lengths[i] <= overhead)
    ]
    fill.sort(key=lambda i: -lengths[i])  # least padding first; stable: oldest first among equals
    return sorted(core + fill[:room])


def _around_oldest(indices: Sequence[int], lengths: Sequence[int], limits: BatchLimits) -> list[int]:
    """Of ``indices`` (oldest first), the length-sorted pass holding the first."""
    batches = pack_by_length(
        [lengths[i] for i in indices],
        max_tokens=limits.max_batch_tokens,
        max_size=limits.max_batch_size,
        pass_overhead=limits.pass_overhead_tokens,
    )
    return sorted(indices[j] for j in next(b for b in batches if 0 in b))
