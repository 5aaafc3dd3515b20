"""The one Redis-failure policy on a fake clock: fail_open goes on, fail_closed 503s, Redis is tried
again after ``retry_seconds``, and each loss and return is reported once."""

from __future__ import annotations

import pytest

from hfgate.errors import CoordinationUnavailableError
from hfgate.ratelimit.limiter import LimitEvents
from hfgate.ratelimit.outage import RedisOutage


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorded(LimitEvents):
    def __init__(self) -> None:
        self.seen: list[object] = []

    def refused(self, key: str, why: str) -> None:
        self.seen.append(why)

    def coordination(self, *, available: bool) -> None:
        self.seen.append(available)


def outage(policy: str, clock: FakeClock, events: LimitEvents) -> RedisOutage:
    return RedisOutage(policy=policy, limit="rate limiter", event="limit.redis", events=events, clock=clock)  # type: ignore[arg-type]


def test_redis_is_skipped_for_retry_seconds_after_a_failure_then_tried_again() -> None:
    clock, events = FakeClock(5.0), Recorded()
    state = outage("fail_open", clock, events)
    assert not state.skipping()
    state.lost(OSError("refused"))
    assert state.skipping()
    clock.now += 0.999
    assert state.skipping()
    clock.now += 0.001
    assert not state.skipping()


def test_a_run_of_failures_is_reported_once_and_the_return_once(caplog: pytest.LogCaptureFixture) -> None:
    clock, events = FakeClock(5.0), Recorded()
    state = outage("fail_open", clock, events)
    state.lost(OSError("refused"))
    clock.now += 2
    state.lost(OSError("refused"))
    state.back()
    state.back()
    assert events.seen == [False, True]
    assert [getattr(r, "event", None) for r in caplog.records] == ["limit.redis.down", "limit.redis.up"]


def test_fail_open_goes_on_and_fail_closed_refuses_with_503_naming_the_policy() -> None:
    events = Recorded()
    outage("fail_open", FakeClock(0.0), events).check("group")
    with pytest.raises(CoordinationUnavailableError) as refused:
        outage("fail_closed", FakeClock(0.0), events).check("group")
    assert refused.value.status == 503
    assert "HFGATE_REDIS_FAILURE_POLICY is [fail_closed]" in refused.value.reason
    assert events.seen == ["unavailable"]
