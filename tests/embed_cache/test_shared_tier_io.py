"""How the shared tier's calls go: writes one at a time, those that come meanwhile in one next call
(group commit), and disk lookups that never wait for a write in flight."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from hfgate.config import Settings
from hfgate.embed_cache.cache import WRITE_DELAY, build_cache
from hfgate.embed_cache.coalesce import Coalescing
from hfgate.embed_cache.disk_tier import DiskTier
from tests.support.waiting import until


async def turns(count: int = 10) -> None:
    """Let the tasks already started run until they wait (no I/O here: loop turns suffice)."""
    for _ in range(count):
        await asyncio.sleep(0)


class SlowTier:
    """A shared tier whose writes wait for ``release``; it records each call's items."""

    name = "slow"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.writes: list[list[tuple[str, bytes]]] = []

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [None] * len(keys)

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        self.writes.append(list(items))
        await self.release.wait()

    async def drop_prefix(self, prefix: str) -> int:
        return 0

    async def aclose(self) -> None:
        return None


async def test_writes_that_come_while_one_is_in_flight_go_together_in_the_next_call() -> None:
    tier = SlowTier()
    shared = Coalescing(tier)
    first = asyncio.ensure_future(shared.put_many([("k:1", b"1")]))
    await until(lambda: len(tier.writes) == 1, what="the first write")  # in flight, waiting
    later = [asyncio.ensure_future(shared.put_many([(f"k:{n}", b"x")])) for n in (2, 3, 4)]
    await turns()
    assert tier.writes == [[("k:1", b"1")]]  # nothing else sent while it is in flight
    tier.release.set()
    await asyncio.wait_for(asyncio.gather(first, *later), 5)
    assert tier.writes == [[("k:1", b"1")], [("k:2", b"x"), ("k:3", b"x"), ("k:4", b"x")]]


async def test_a_write_after_the_others_ended_is_sent_on_its_own() -> None:
    tier = SlowTier()
    tier.release.set()
    shared = Coalescing(tier)
    await shared.put_many([("k:1", b"1")])
    await shared.put_many([("k:2", b"2")])
    assert tier.writes == [[("k:1", b"1")], [("k:2", b"2")]]


async def test_disk_lookups_small_and_large_do_not_wait_for_a_write_in_flight(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    keys = [f"m:o:{n:04d}" for n in range(100)]
    try:
        await tier.put_many([(key, key.encode()) for key in keys])
        # SQLite's write lock held by another connection (as a long corpus write or a model's removal
        # in another process does)
        writing, done = threading.Event(), threading.Event()

        def long_write() -> None:
            db = sqlite3.connect(tmp_path / "cache" / "cache.db", isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                writing.set()
                done.wait(10)
                db.execute("COMMIT")
            finally:
                db.close()

        holder = threading.Thread(target=long_write)
        holder.start()
        writing.wait(5)
        try:
            small = await asyncio.wait_for(tier.get_many(keys[:3]), 2)  # on the event loop's thread
            large = await asyncio.wait_for(tier.get_many(keys), 2)  # in a worker thread
        finally:
            done.set()
            holder.join()
        assert small == [key.encode() for key in keys[:3]]
        assert large == [key.encode() for key in keys]
    finally:
        await tier.aclose()


async def test_the_disk_tier_checks_its_size_often_enough_to_stay_within_it(tmp_path: Path) -> None:
    # 1,000 writes of 3 KB into a 1 MB budget: culled as it goes, one write at a time
    tier = DiskTier(tmp_path / "cache", max_bytes=1_000_000, ttl_seconds=60)
    try:
        for n in range(1000):
            await tier.put_many([(f"m:o:{n:04d}", bytes(3000))])
        found = await tier.get_many([f"m:o:{n:04d}" for n in range(1000)])
        kept = [n for n, value in enumerate(found) if value is not None]
        assert 0 < len(kept) <= 1_000_000 // 3000
        assert kept == list(range(1000 - len(kept), 1000))  # the newest written stay
        assert tier.stored_bytes() < 2 * 1_000_000
    finally:
        await tier.aclose()


class CountingTier(SlowTier):
    """Writes at once; records each call."""

    def __init__(self) -> None:
        super().__init__()
        self.release.set()
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_with_a_write_delay_writes_are_not_waited_for_and_go_together_after_it() -> None:
    tier = CountingTier()
    shared = Coalescing(tier, write_delay=0.05)
    for n in range(5):
        await asyncio.wait_for(shared.put_many([(f"k:{n}", b"x")]), 0.01)  # returns at once
    assert tier.writes == []  # kept
    await until(lambda: tier.writes != [], what="the delayed write")
    assert tier.writes == [[(f"k:{n}", b"x") for n in range(5)]]


async def test_kept_writes_of_a_dropped_prefix_never_reach_the_tier_and_closing_sends_the_rest() -> None:
    tier = CountingTier()
    shared = Coalescing(tier, write_delay=60)
    await shared.put_many([("gone:a", b"1"), ("kept:b", b"2")])
    await shared.put_many([("gone:c", b"3")])
    await shared.drop_prefix("gone:")
    await shared.aclose()
    assert [item for write in tier.writes for item in write] == [("kept:b", b"2")]
    assert tier.closed


async def test_past_its_bound_a_kept_write_makes_the_writer_wait() -> None:
    tier = SlowTier()  # writes wait for release
    shared = Coalescing(tier, write_delay=60)
    await asyncio.wait_for(shared.put_many([(f"k:{n}", b"x") for n in range(4096)]), 0.01)  # kept
    over = asyncio.ensure_future(shared.put_many([("k:over", b"x")]))
    await until(lambda: tier.writes != [], what="the write past the bound")
    await turns()
    assert not over.done()  # waits for its write, which went at once with the kept ones
    assert len(tier.writes) == 1
    assert len(tier.writes[0]) == 4097
    tier.release.set()
    await asyncio.wait_for(over, 1)


class LookupCounting(CountingTier):
    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[list[str]] = []

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        self.lookups.append(list(keys))
        return [None] * len(keys)


async def test_lookups_of_one_turn_go_as_one_call_unless_the_tier_reads_them_at_once() -> None:
    for join, expected in ((True, [["a", "b"]]), (False, [["a"], ["b"]])):
        tier = LookupCounting()
        shared = Coalescing(tier, join_lookups=join)
        await asyncio.gather(shared.get_many(["a"]), shared.get_many(["b"]))
        assert tier.lookups == expected


async def test_the_disk_file_is_read_at_once_and_written_late_and_redis_joined_and_waited_for(tmp_path: Path) -> None:
    disk = build_cache(Settings(data_dir=tmp_path, embed_cache=True, embed_cache_shared="disk"))
    redis_url = "redis://127.0.0.1:1/0"  # never connected to here
    redis = build_cache(Settings(data_dir=tmp_path, embed_cache=True, embed_cache_redis_url=redis_url))
    assert disk is not None
    assert redis is not None
    try:
        assert isinstance(disk.shared, Coalescing)
        assert (disk.shared.join_lookups, disk.shared.write_delay) == (False, WRITE_DELAY)
        assert disk.shared.get_now is not None  # a request's lookup without a coroutine
        assert isinstance(redis.shared, Coalescing)
        assert (redis.shared.join_lookups, redis.shared.write_delay) == (True, None)
        assert redis.shared.get_now is None
    finally:
        await disk.aclose()
        await redis.aclose()


class OrderedTier(SlowTier):
    """Records the order of its writes and removals; writes wait for ``release``."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        self.events.append("write")
        await super().put_many(items)
        self.events.append("written")

    async def drop_prefix(self, prefix: str) -> int:
        self.events.append(f"drop {prefix}")
        return 0


async def test_a_prefix_dropped_while_a_write_is_in_flight_is_dropped_after_that_write_lands() -> None:
    # a deleted endpoint's entries written by a write already in flight would otherwise come back
    tier = OrderedTier()
    shared = Coalescing(tier, write_delay=0.0)  # kept writes, as the disk tier's
    await shared.put_many([("gone:a", b"1")])
    await until(lambda: tier.events == ["write"], what="the write in flight")
    drop = asyncio.ensure_future(shared.drop_prefix("gone:"))
    await turns()
    assert tier.events == ["write"]  # the removal waits
    tier.release.set()
    await asyncio.wait_for(drop, 5)
    assert tier.events == ["write", "written", "drop gone:"]
    await shared.aclose()
