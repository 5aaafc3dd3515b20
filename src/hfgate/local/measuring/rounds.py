"""Which candidates a measurement goes on timing after a round.

A candidate at less than half the speed of the fastest qualifying one (within the fidelity floor) after a
round cannot win: later rounds, which only sharpen a figure, are spent on the contenders alone, and the
others keep the figure of the rounds they ran. On SmolLM2 the transformers engines run at a fifth of ONNX's
speed and took most of a measurement's time (a first load on a new CPU, and every measurement in tests).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

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
