"""The rate-limiter contract every pacing limiter fulfils, whoever asks (upstream groups, the fleet…).

A limiter spaces admissions under one string key ``60 / requests_per_minute`` seconds apart, makes a
request wait for its slot, and refuses at once (:class:`~hfgate.errors.RateLimitRefusedError`) when too
many already wait or the slot would come after the request's deadline. :class:`LimitEvents` is the hook
for metrics: a limiter reports each wait, each refusal and each change of its coordination state to it.

Example:
    >>> # limiter: Limiter = RateLimiters() or RedisLimiter(...): the same contract
    >>> # await limiter.acquire("tei|key-digest", requests_per_minute=600, deadline=time.monotonic() + 5)
"""

from __future__ import annotations

from typing import Protocol


class Limiter(Protocol):
    """Admission under a key; ``max_waiting`` is the queue bound, named in refusals."""

    max_waiting: int

    async def acquire(self, key: str, *, requests_per_minute: float, deadline: float) -> float:
        """Wait for ``key``'s next slot; the seconds waited (0.0 when it was free).

        Raises:
            RateLimitRefusedError: the queue is full, or the slot comes after ``deadline``.
        """
        ...


class LimitEvents:
    """What a limiter reports; override the methods to count them (the default does nothing)."""

    def waited(self, key: str, seconds: float) -> None:
        """A request waited ``seconds`` for its slot."""

    def refused(self, key: str, why: str) -> None:
        """A request was refused (``queue_full``, ``deadline`` or ``unavailable``)."""

    def coordination(self, *, available: bool) -> None:
        """The shared store became reachable (``True``) or unreachable (``False``)."""
