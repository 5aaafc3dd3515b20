"""The duration and outcome of one upstream attempt: ``hfgate_upstream_request_duration_seconds``, and
a client span when tracing is on; and the rate-limit wait before it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from hfgate.telemetry.metrics import QUEUE_WAIT_SECONDS, RATE_LIMIT_WAITS, UPSTREAM_SECONDS
from hfgate.telemetry.tracing import attempt_span, end_span
from hfgate.upstream.http.call import Call


class Attempt:
    """What the attempt ended with: an HTTP status, or ``None`` when no answer came."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status: int | None = None


@contextmanager
def timed_attempt(call: Call) -> Iterator[Attempt]:
    """Time the block; the outcome is ``attempt.status`` as set inside it, else ``error``."""
    attempt = Attempt()
    span = attempt_span(call.inference_id, call.target)
    started = time.perf_counter()
    try:
        yield attempt
    finally:
        outcome = str(attempt.status) if attempt.status is not None else "error"
        UPSTREAM_SECONDS(call.inference_id, call.target, outcome).observe(time.perf_counter() - started)
        if span is not None:
            end_span(span, {"hfgate.outcome": outcome})


def count_admission(call: Call, waited: float) -> None:
    """A rate-limit admission that waited ``waited`` seconds (nothing is counted for 0)."""
    if waited:
        RATE_LIMIT_WAITS(call.inference_id).inc()
        QUEUE_WAIT_SECONDS("rate_limit", call.inference_id).observe(waited)
