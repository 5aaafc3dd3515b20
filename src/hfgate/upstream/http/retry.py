"""When to try an upstream call again, and how long to wait first.

Retried, as Elasticsearch does: 429, 502, 503 and broken or refused connections, with exponential
backoff and jitter, honouring ``Retry-After``. Never retried: other 4xx (the same request would fail
the same way) and other 5xx. A 503 whose body says the model is loading (``estimated_time``) waits
that long without using up an attempt, as long as the request's deadline allows.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many times and how patiently to retry.

    Args:
        max_attempts: calls in all, the first included.
        base_delay: the wait before the first retry; it doubles at each retry.
        max_delay: the longest wait between two attempts (``Retry-After`` may ask for more).
        statuses: HTTP statuses that are retried.

    Example:
        >>> RetryPolicy(base_delay=1.0, jitter=0.0).backoff(2)
        4.0
    """

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 5.0
    jitter: float = 0.5
    statuses: frozenset[int] = frozenset({429, 502, 503})
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0 = the first), with up to ``jitter`` of it random."""
        delay = min(self.max_delay, self.base_delay * 2.0**retry)
        return delay * (1.0 - self.jitter * self._random.random())

    def wait_after(self, status: int, *, retry: int, headers: Mapping[str, str]) -> float | None:
        """The wait before retrying an answer with ``status``, or ``None`` when it is not retried."""
        if status not in self.statuses or retry + 1 >= self.max_attempts:
            return None
        asked = retry_after(headers)
        return asked if asked is not None else self.backoff(retry)

    def may_retry(self, retry: int) -> bool:
        """Whether another attempt is allowed after ``retry`` retries."""
        return retry + 1 < self.max_attempts


def loading_time(status: int, body: bytes) -> float | None:
    """The ``estimated_time`` of a 503 "model is loading" answer, else ``None``.

    Example:
        >>> loading_time(503, b'{"error": "Model x is currently loading", "estimated_time": 20.0}')
        20.0
    """
    if status != 503 or b"estimated_time" not in body:
        return None
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    estimate = parsed.get("estimated_time") if isinstance(parsed, dict) else None
    return float(estimate) if isinstance(estimate, int | float) and estimate >= 0 else None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), else ``None``."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    return max(0.0, float((when - datetime.now(UTC)).total_seconds()))
