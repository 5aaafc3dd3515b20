"""The Redis limiter against real redis-servers: the shared one (a unique key prefix) and a stopped one."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hfgate.errors import CoordinationUnavailableError, RateLimitRefusedError
from hfgate.ratelimit.limiter import LimitEvents
from hfgate.ratelimit.pacing import RateLimiters
from hfgate.ratelimit.redis_pacing import RedisLimiter
from tests.support.live_server import free_port
from tests.support.waiting import until

SHARED_REDIS = "redis://127.0.0.1:6379/0"


class Recorder(LimitEvents):
    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    def waited(self, key: str, seconds: float) -> None:
        self.seen.append(("waited", key))

    def refused(self, key: str, why: str) -> None:
        self.seen.append(("refused", why))

    def coordination(self, *, available: bool) -> None:
        self.seen.append(("available", available))


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    name = f"hfgate-test-{uuid.uuid4().hex}:"
    yield name
    limiter = RedisLimiter.from_url(SHARED_REDIS, fallback=RateLimiters())
    keys = [key async for key in limiter.client.scan_iter(match=f"{name}*")]
    if keys:
        await limiter.client.delete(*keys)
    await limiter.aclose()


def _replica(prefix: str, **kwargs: object) -> RedisLimiter:
    return RedisLimiter.from_url(SHARED_REDIS, fallback=RateLimiters(), prefix=prefix, **kwargs)  # type: ignore[arg-type]


async def test_a_slot_taken_on_one_replica_is_taken_for_the_other(prefix: str) -> None:
    a, b = _replica(prefix), _replica(prefix)
    try:
        await a.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 5)
        with pytest.raises(RateLimitRefusedError) as refused:
            await b.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 0.5)
        assert refused.value.why == "deadline"
        assert 0.5 < refused.value.wait <= 1.0
        await b.acquire("other group", requests_per_minute=60, deadline=time.monotonic() + 0.5)
    finally:
        await a.aclose()
        await b.aclose()


async def test_the_fleet_wide_queue_is_bounded(prefix: str) -> None:
    events, waits = Recorder(), Recorder()
    a, b = _replica(prefix, max_waiting=1, events=waits), _replica(prefix, max_waiting=1, events=events)
    try:
        await a.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 5)
        waiting = asyncio.create_task(a.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 5))
        await until(lambda: waits.seen == [("waited", "group")], within=5, what="the second slot reserved")
        with pytest.raises(RateLimitRefusedError) as refused:
            await b.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 5)
        assert refused.value.why == "queue_full"
        assert events.seen == [("refused", "queue_full")]
        waiting.cancel()
    finally:
        await a.aclose()
        await b.aclose()


def _unreachable(policy: str, *, events: LimitEvents, fallback: RateLimiters) -> RedisLimiter:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    return RedisLimiter.from_url(url, fallback=fallback, policy=policy, events=events)  # type: ignore[arg-type]


async def test_fail_closed_refuses_with_503_and_reports_the_loss_once() -> None:
    events = Recorder()
    limiter = _unreachable("fail_closed", events=events, fallback=RateLimiters())
    for _ in range(3):
        with pytest.raises(CoordinationUnavailableError) as refused:
            await limiter.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 5)
    assert refused.value.status == 503
    assert "HFGATE_REDIS_FAILURE_POLICY is [fail_closed]" in str(refused.value)
    assert events.seen.count(("available", False)) == 1
    await limiter.aclose()


async def test_fail_open_admits_through_this_replicas_share_of_the_limit() -> None:
    events, fallback = Recorder(), RateLimiters(share=1 / 3)
    limiter = _unreachable("fail_open", events=events, fallback=fallback)
    await limiter.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 5)
    with pytest.raises(RateLimitRefusedError):  # one replica in three: a slot every 3 s, not every 1 s
        await limiter.acquire("group", requests_per_minute=60, deadline=time.monotonic() + 2.5)
    assert events.seen == [("available", False)]
    await limiter.aclose()


def test_the_redis_server_helper_uses_its_own_directory(tmp_path: Path) -> None:
    from tests.support.redis_server import RedisServer

    server = RedisServer(tmp_path / "r")
    server.start()
    try:
        assert str(server.port) in server.url
    finally:
        server.stop()


async def test_requests_arriving_together_get_one_slot_each(prefix: str) -> None:
    a, b = _replica(prefix), _replica(prefix)
    try:
        deadline = time.monotonic() + 2.5  # room for three slots a second apart: now, +1 s, +2 s
        outcomes = await asyncio.gather(
            *(limiter.acquire("group", requests_per_minute=60, deadline=deadline) for limiter in [a, b] * 4),
            return_exceptions=True,
        )
    finally:
        await a.aclose()
        await b.aclose()
    admitted = [o for o in outcomes if isinstance(o, float)]  # acquire returns the seconds waited
    refused = [o for o in outcomes if isinstance(o, RateLimitRefusedError)]
    assert (len(admitted), len(refused)) == (3, 5)
    assert {r.why for r in refused} == {"deadline"}
