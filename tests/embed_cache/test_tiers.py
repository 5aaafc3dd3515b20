"""Each tier on its own: the memory tier's budget and lifetime, the disk file's, and a real Redis that
goes away and comes back without a lookup failing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.embed_cache.cache import ENTRY_OVERHEAD, MemoryTier
from hfgate.embed_cache.disk_tier import DiskTier
from hfgate.embed_cache.redis_tier import RedisTier
from tests.support.redis_server import RedisServer
from tests.support.waiting import until_true


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_memory_tier_evicts_the_least_recently_used_within_its_budget_and_names_the_owner() -> None:
    evicted: list[str] = []
    tier = MemoryTier(max_bytes=3 * (100 + ENTRY_OVERHEAD), ttl_seconds=60, evicted=evicted.append)
    tier.put_many([("a", b"x" * 100), ("b", b"x" * 100), ("c", b"x" * 100)], owner="one")
    assert tier.get_many(["a"]) == [b"x" * 100]  # a is now the most recently used
    tier.put_many([("d", b"y" * 100)], owner="two")
    assert tier.get_many(["a", "b", "c", "d"]) == [b"x" * 100, None, b"x" * 100, b"y" * 100]
    assert evicted == ["one"]
    assert tier.bytes == 3 * (100 + ENTRY_OVERHEAD)


def test_the_memory_tier_stops_serving_an_entry_after_its_lifetime() -> None:
    clock = Clock()
    tier = MemoryTier(max_bytes=10_000, ttl_seconds=5, clock=clock)
    tier.put_many([("a", b"v")], owner="e")
    clock.now += 4.9
    assert tier.get_many(["a"]) == [b"v"]
    clock.now += 0.2
    assert tier.get_many(["a"]) == [None]
    assert (len(tier), tier.bytes) == (0, 0)


def test_a_memory_budget_of_zero_keeps_nothing() -> None:
    tier = MemoryTier(max_bytes=0, ttl_seconds=5)
    tier.put_many([("a", b"v")], owner="e")
    assert tier.get_many(["a"]) == [None]


async def test_the_disk_tier_is_shared_by_two_openings_of_its_file(tmp_path: Path) -> None:
    first = DiskTier(tmp_path / "cache.db", max_bytes=1 << 20, ttl_seconds=60)
    second = DiskTier(tmp_path / "cache.db", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await first.put_many([("m:o:a", b"1234"), ("m:o:b", b"5678")])
        assert await second.get_many(["m:o:b", "m:o:z", "m:o:a"]) == [b"5678", None, b"1234"]
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_disk_tier_removes_the_oldest_written_past_its_size(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache.db", max_bytes=1000, ttl_seconds=60)
    try:
        for n in range(12):
            await tier.put_many([(f"m:o:{n:02d}", bytes(100))])
        found = await tier.get_many([f"m:o:{n:02d}" for n in range(12)])
        kept = [n for n, value in enumerate(found) if value is not None]
        assert kept == list(range(12 - len(kept), 12)), "the newest are kept"
        assert 100 * len(kept) <= 1000
    finally:
        await tier.aclose()


async def test_the_disk_tier_forgets_one_models_entries(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache.db", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m1:o:a", b"1"), ("m1:p:b", b"2"), ("m2:o:a", b"3")])
        assert await tier.drop_prefix("m1:") == 2
        assert await tier.get_many(["m1:o:a", "m1:p:b", "m2:o:a"]) == [None, None, b"3"]
    finally:
        await tier.aclose()


async def test_an_expired_disk_entry_is_not_served(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache.db", max_bytes=1 << 20, ttl_seconds=-1)
    try:
        await tier.put_many([("m:o:a", b"1")])
        assert await tier.get_many(["m:o:a"]) == [None]
    finally:
        await tier.aclose()


@pytest.fixture
def redis_server(tmp_path: Path) -> RedisServer:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()


async def test_a_lost_redis_answers_nothing_found_and_is_used_again_once_back(redis_server: RedisServer) -> None:
    tier = RedisTier.from_url(redis_server.url, prefix="t:vec:", ttl_seconds=60, timeout=0.25, retry_seconds=0.2)
    try:
        await tier.put_many([("m:o:a", b"1")])
        assert await tier.get_many(["m:o:a", "m:o:b"]) == [b"1", None]
        redis_server.stop()
        assert await tier.get_many(["m:o:a"]) == [None]
        await tier.put_many([("m:o:c", b"3")])  # no exception: skipped
        assert not tier.health.available
        redis_server.start()
        await _wait_until_back(tier)
        await tier.put_many([("m:o:c", b"3")])
        assert await tier.get_many(["m:o:c"]) == [b"3"]
        assert tier.health.available
    finally:
        await tier.aclose()


async def test_redis_entries_carry_the_tiers_lifetime_and_one_models_entries_can_be_removed(
    redis_server: RedisServer,
) -> None:
    tier = RedisTier.from_url(redis_server.url, prefix="t:vec:", ttl_seconds=120, timeout=0.25, retry_seconds=0.2)
    try:
        await tier.put_many([("m1:o:a", b"1"), ("m1:o:b", b"2"), ("m2:o:a", b"3")])
        assert 0 < await tier.client.ttl("t:vec:m1:o:a") <= 120
        assert await tier.drop_prefix("m1:") == 2
        assert await tier.get_many(["m1:o:a", "m2:o:a"]) == [None, b"3"]
    finally:
        await tier.aclose()


async def _wait_until_back(tier: RedisTier) -> None:
    async def back() -> bool:  # a lookup is what retries a tier marked unavailable
        await tier.get_many(["probe"])
        return tier.health.available

    await until_true(back, within=5, what="the Redis tier's return")


def test_a_redis_shared_tier_without_a_redis_url_is_refused_naming_the_variables(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from hfgate.config import Settings

    with pytest.raises(ValidationError, match="HFGATE_EMBED_CACHE_SHARED=redis needs HFGATE_EMBED_CACHE_REDIS_URL"):
        Settings(data_dir=tmp_path, embed_cache_shared="redis")
