"""The load an engine measurement ran under: its own CPU time beside the wall clock, and other processes'.

An engine's speed is its fastest interleaved round, which shields the ranking from short bursts of
load; a measurement taken while other processes kept the cores busy for most of it still misranks
(an ONNX pass descheduled for seconds). So every measurement records what else ran meanwhile, read from
the kernel's counters (``/proc/stat``: the whole machine's busy time, less this process's own), and a
choice made on a busy machine is measured again when the model next loads (``MeasuredChoice.remeasure``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

BUSY_SHARE = 0.25
"""Other processes' share of the machine's CPU time above which a measurement counts as taken while busy."""

_STAT = Path("/proc/stat")


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasureLoad:
    """What a measurement's timed part cost, and what else ran meanwhile.

    Attributes:
        wall_seconds: how long it took.
        cpu_seconds: this process's own CPU time (every thread).
        others_cpu_seconds: other processes' CPU time on this machine meanwhile; ``None`` where the
            kernel does not say (not Linux).
        cpus: the cores this process may run on.
    """

    wall_seconds: float
    cpu_seconds: float
    others_cpu_seconds: float | None
    cpus: int

    @property
    def others_share(self) -> float | None:
        """Other processes' share of the machine's CPU time while it ran (0 to 1)."""
        if self.others_cpu_seconds is None or self.wall_seconds <= 0:
            return None
        return min(1.0, max(0.0, self.others_cpu_seconds / (self.wall_seconds * self.cpus)))

    @property
    def busy(self) -> bool:
        """Whether other processes used more than :data:`BUSY_SHARE` of the machine meanwhile."""
        share = self.others_share
        return share is not None and share > BUSY_SHARE

    def describe(self) -> str:
        """e.g. ``4.1 s of CPU in 2.2 s; others 61% of 2 CPUs``."""
        text = f"{self.cpu_seconds:.1f} s of CPU in {self.wall_seconds:.1f} s"
        share = self.others_share
        return text if share is None else f"{text}; others {share:.0%} of {self.cpus} CPUs"


class LoadMeter:
    """Measures the load of the work inside ``with LoadMeter() as meter:``; then ``meter.load``.

    Example:
        >>> with LoadMeter() as meter:
        ...     time_engines()
        >>> meter.load.busy
        False
    """

    def __init__(self) -> None:
        self.load: MeasureLoad | None = None
        self._start: tuple[float, float, float | None] = (0.0, 0.0, None)

    def __enter__(self) -> LoadMeter:
        self._start = _readings()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        wall, cpu, machine = _readings()
        wall0, cpu0, machine0 = self._start
        own = cpu - cpu0
        others = None if machine is None or machine0 is None else max(0.0, machine - machine0 - own)
        self.load = MeasureLoad(
            wall_seconds=round(wall - wall0, 3),
            cpu_seconds=round(own, 3),
            others_cpu_seconds=None if others is None else round(others, 3),
            cpus=_cpus(),
        )


def _readings() -> tuple[float, float, float | None]:
    return time.perf_counter(), time.process_time(), _machine_busy_seconds()


def _machine_busy_seconds() -> float | None:
    """CPU time every process on the machine has used since boot (``/proc/stat``'s first line: user,
    nice, system, irq, softirq and steal; idle and iowait are not busy), or ``None`` off Linux."""
    try:
        fields = _STAT.read_text(encoding="ascii").splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    ticks = [int(value) for value in fields[:8]]
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
    return busy / os.sysconf("SC_CLK_TCK")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
