"""The retry policy: what is retried, how long it waits, and 503 "model is loading"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from hfgate.upstream.http.retry import RetryPolicy, loading_time, retry_after


def test_backoff_doubles_up_to_the_maximum_without_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(4)] == [1.0, 2.0, 4.0, 5.0]


def test_jitter_shortens_waits_by_at_most_its_share() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    waits = [policy.backoff(0) for _ in range(200)]
    assert all(0.5 <= w <= 1.0 for w in waits)
    assert len(set(waits)) > 100


@pytest.mark.parametrize("status", [429, 502, 503])
def test_rate_limit_and_unavailable_statuses_are_retried(status: int) -> None:
    assert RetryPolicy(jitter=0.0).wait_after(status, retry=0, headers={}) == 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422, 500, 504])
def test_other_statuses_are_never_retried(status: int) -> None:
    assert RetryPolicy().wait_after(status, retry=0, headers={}) is None


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.wait_after(429, retry=1, headers={}) is not None
    assert policy.wait_after(429, retry=2, headers={}) is None


def test_retry_after_is_honoured_in_seconds_or_as_a_date() -> None:
    assert RetryPolicy().wait_after(429, retry=0, headers={"Retry-After": "7"}) == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after({"Retry-After": later}) or 0) <= 30
    assert retry_after({"Retry-After": "soon"}) is None


def test_loading_answers_give_their_estimated_time() -> None:
    assert loading_time(503, b'{"error": "Model m is currently loading", "estimated_time": 12.5}') == 12.5
    assert loading_time(503, b'{"error": "overloaded"}') is None
    assert loading_time(500, b'{"estimated_time": 1}') is None
