"""Cutting waiting texts into forward passes: sorted by length so that little padding is computed."""

from __future__ import annotations

from collections.abc import Sequence


def pack_by_length(
    lengths: Sequence[int], *, max_tokens: int, max_size: int, pass_overhead: int | None = None
) -> list[list[int]]:
    """Group item indices into batches of similar length.

    A batch is padded to its longest item, so its cost is ``len(batch) * longest``; items are taken
    shortest first and a batch is closed when one more item would exceed ``max_tokens`` padded tokens
    or ``max_size`` items, or — with ``pass_overhead`` — when taking it would add more padding to the
    batch's items than a pass of its own costs. An item longer than ``max_tokens`` forms a batch of
    its own.

    Args:
        lengths: token count of each item.
        max_tokens: padded tokens a batch may hold.
        max_size: items a batch may hold.
        pass_overhead: the fixed cost of one more forward pass, in tokens; ``None``: passes are free.

    Returns:
        Lists of indices into ``lengths``; every index appears exactly once.

    Example:
        >>> pack_by_length([9, 2, 3, 8], max_tokens=16, max_size=8)
        [[1, 2], [3], [0]]
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        # Ascending order: the item being added is the longest of the batch so far.
        fits = (len(current) + 1) * lengths[index] <= max_tokens and len(current) < max_size
        if current and pass_overhead is not None:
            fits = fits and len(current) * (lengths[index] - lengths[current[-1]]) <= pass_overhead
        if current and not fits:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
