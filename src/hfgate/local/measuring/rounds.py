"""Timing candidates in interleaved rounds, and which of them a measurement goes on timing after a round.

Each round times every candidate once, in turn, so that every one gets its chance at the machine's quiet
moments. A candidate at less than half the speed of the fastest qualifying one (within the fidelity
floor) after a round cannot win: later rounds, which only sharpen a figure, are spent on the contenders
alone, and the others keep the figure of the rounds they ran.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

CONTENDER_SHARE = 0.5
"""A candidate slower than this share of the fastest qualifying one after a round is not timed again."""


def contenders(speeds: Mapping[str, float], *, qualified: Collection[str]) -> set[str]:
    """The candidates of ``speeds`` (figures so far) still worth timing: every one within
    :data:`CONTENDER_SHARE` of the fastest ``qualified`` one (of them all when none qualifies yet).

    >>> sorted(contenders({"onnx": 15.5, "int4": 32.3, "fp32": 3.0}, qualified={"onnx", "fp32"}))
    ['int4', 'onnx']
    """
    among = [speed for name, speed in speeds.items() if name in qualified] or list(speeds.values())
    best = max(among, default=0.0)
    return {name for name, speed in speeds.items() if speed >= CONTENDER_SHARE * best}


def interleave(
    names: Sequence[str],
    *,
    rounds: int,
    time_round: Callable[[str], None],
    speed: Callable[[str], float],
    qualified: Collection[str],
) -> None:
    """Run ``rounds`` rounds of ``time_round`` (which keeps its own timings) over ``names`` in turn; after
    each round only the :func:`contenders` by ``speed`` (the figure so far) run again."""
    running = set(names)
    for _ in range(rounds):
        for name in [name for name in names if name in running]:
            time_round(name)
        running = contenders({name: speed(name) for name in running}, qualified=qualified)
