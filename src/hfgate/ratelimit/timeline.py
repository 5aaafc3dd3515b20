"""A key's next free slot: each admission takes it and moves it one interval on (GCRA).

Times are integer nanoseconds, read from an injected clock of float seconds (``time.monotonic`` by
default, a fake one in tests). Integers because float arithmetic on clock readings can refuse a
key's first request: ``(now + 60) - now`` rounds above 60 at some readings. Here a wait is always
``next slot - now`` on integers, exact whatever the clock reads.

Example:
    >>> slots = Timelines(clock=lambda: 2040.1090003485567)
    >>> now, interval = slots.now(), nanoseconds(60.0)
    >>> slots.take("key", now=now, interval=interval)  # free: no wait
    0
    >>> slots.ahead("key", now=now) == interval
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Monotonic seconds."""

NS_PER_SECOND = 1_000_000_000


def nanoseconds(seconds: float) -> int:
    """``seconds`` as integer nanoseconds."""
    return round(seconds * NS_PER_SECOND)


def seconds(nanos: int) -> float:
    """Integer nanoseconds as float seconds."""
    return nanos / NS_PER_SECOND


def interval(requests_per_minute: float) -> int:
    """The spacing of ``requests_per_minute``, in nanoseconds."""
    return round(60 * NS_PER_SECOND / requests_per_minute)


class Timelines:
    """The next free slot of each key, on one clock.

    Args:
        clock: monotonic seconds; injectable, so that tests run minutes in microseconds and never sleep.
    """

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._next: dict[str, int] = {}

    def now(self) -> int:
        """The clock's reading, in nanoseconds."""
        return nanoseconds(self.clock())

    def ahead(self, key: str, *, now: int) -> int:
        """How long until ``key``'s next free slot (0 when it is free now)."""
        return max(self._next.get(key, now) - now, 0)

    def take(self, key: str, *, now: int, interval: int) -> int:
        """Take ``key``'s next free slot and move it ``interval`` on; how long until the slot taken."""
        ahead = self.ahead(key, now=now)
        self._next[key] = now + ahead + interval
        return ahead
