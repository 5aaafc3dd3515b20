"""The duration and outcome of one upstream attempt: ``hfgate_upstream_request_duration_seconds``, and
a client span when tracing is on; and the rate-limit wait before it."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING

from hfgate.telemetry.metrics import QUEUE_WAIT_SECONDS, RATE_LIMIT_WAITS, UPSTREAM_SECONDS
from hfgate.telemetry.tracing import attempt_span, end_span
from hfgate.upstream.http.call import Call

if TYPE_CHECKING:
    from hfgate.telemetry.tracing import Started


class timed_attempt:  # noqa: N801 - used like a function: ``with timed_attempt(call) as attempt``
    """Times the block; the outcome is ``attempt.status`` as set inside it, else ``error``.

    A plain class rather than ``@contextmanager``: it runs on every upstream attempt, and a generator
    per attempt costs more than these few slots.
    """

    __slots__ = ("_call", "_span", "_started", "status")

    def __init__(self, call: Call) -> None:
        self._call = call
        self.status: int | None = None
        self._span: Started | None = None
        self._started = 0.0

    def __enter__(self) -> timed_attempt:
        self._span = attempt_span(self._call.inference_id, self._call.target)
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        outcome = str(self.status) if self.status is not None else "error"
        elapsed = time.perf_counter() - self._started
        UPSTREAM_SECONDS(self._call.inference_id, self._call.target, outcome).observe(elapsed)
        if self._span is not None:
            end_span(self._span, {"hfgate.outcome": outcome})


def count_admission(call: Call, waited: float) -> None:
    """A rate-limit admission that waited ``waited`` seconds (nothing is counted for 0)."""
    if waited:
        RATE_LIMIT_WAITS(call.inference_id).inc()
        QUEUE_WAIT_SECONDS("rate_limit", call.inference_id).observe(waited)
