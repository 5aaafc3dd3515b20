"""The disk tier as a machine uses it: several processes on one directory, a write that never holds the
event loop while another process writes, a size kept by culling the oldest, a model's entries removed
and erased from the file, earlier versions' files discarded, a broken tier that never keeps the service
from starting, and what a killed process wrote kept."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import textwrap
import time
from pathlib import Path

import diskcache
import pytest

from hfgate.config import Settings
from hfgate.embed_cache.cache import DISK_FILE, build_cache
from hfgate.embed_cache.coalesce import Coalescing
from hfgate.embed_cache.disk_tier import DiskTier
from tests.embed_cache.conftest import CountingDisk
from tests.support.waiting import until

# Another process holding SQLite's write lock on the tier's database for argv[2] seconds.
HOLD_WRITER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


async def _run(script: str, *args: str, timeout: float = 60) -> None:
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", script, *args)
    assert await asyncio.wait_for(child.wait(), timeout) == 0


async def test_another_process_reads_what_one_wrote(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    await _run(
        textwrap.dedent(f"""
        import asyncio
        from pathlib import Path
        from hfgate.embed_cache.disk_tier import DiskTier
        async def main():
            tier = DiskTier(Path({str(path)!r}), max_bytes=1 << 20, ttl_seconds=60)
            await tier.put_many([("m:o:a", b"from the child"), ("m:o:b", bytes(3000))])
            await tier.aclose()
        asyncio.run(main())
        """)
    )
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a", "m:o:b", "m:o:c"]) == [b"from the child", bytes(3000), None]
        assert tier.stored_bytes() >= 3000
    finally:
        await tier.aclose()


async def test_a_write_while_another_process_writes_waits_in_a_thread_not_on_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_WRITER, str(path / "cache.db"), "0.5", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 30)).strip() == b"held"
        started = time.monotonic()
        write = asyncio.ensure_future(tier.put_many([("m:o:a", b"1")]))
        ticks = 0
        while not write.done():  # the loop turns while the write waits for the other process
            await asyncio.sleep(0.01)
            ticks += 1
        await write
        assert time.monotonic() - started >= 0.3, "the write waited for the other writer"
        assert ticks >= 10
        assert await tier.get_many(["m:o:a"]) == [b"1"]
    finally:
        await asyncio.wait_for(holder.wait(), 10)
        await tier.aclose()


async def test_a_large_write_keeps_every_vector_and_a_large_lookup_reads_in_a_thread(tmp_path: Path) -> None:
    tier = CountingDisk(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    items = [(f"m:o:{n:05d}", n.to_bytes(4, "big") * 100) for n in range(1000)]
    try:
        await tier.put_many(items)
        assert await tier.get_many([key for key, _ in items]) == [value for _, value in items]
        assert tier.get_now([key for key, _ in items]) is None, "over 32 keys: not on the loop's thread"
        assert tier.calls == [1000]
    finally:
        await tier.aclose()


async def test_a_key_written_again_is_served_newest_and_a_drop_counts_each_key_once(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m1:o:a", bytes(100)), ("m2:o:b", bytes(50))])
        await tier.put_many([("m1:o:a", b"a" * 30)])  # written again: the newer is served
        await tier.put_many([("m3:o:c", b"zz-first"), ("m3:o:c", b"aa-last")])  # twice in one write: the later
        assert await tier.get_many(["m1:o:a", "m3:o:c"]) == [b"a" * 30, b"aa-last"]
        assert await tier.drop_prefix("m3:") == 1
        assert await tier.drop_prefix("m1:") == 1
        assert await tier.drop_prefix("m1:") == 0
        assert await tier.get_many(["m1:o:a", "m2:o:b", "m3:o:c"]) == [None, bytes(50), None]
    finally:
        await tier.aclose()


async def test_what_the_tier_writes_is_what_diskcaches_own_set_writes(tmp_path: Path) -> None:
    """The tier writes rows in diskcache's table itself (one statement a write): diskcache must read them
    as its own, with their tag and expiry, and its count and size stay right (``Cache.check``)."""
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    twin = diskcache.Cache(str(tmp_path / "twin"), tag_index=True)
    writes = [
        [("m1:o:a", b"first"), ("m2:o:b", bytes(3000)), ("m1:o:big", bytes(range(256)) * 200)],
        [("m1:o:a", b"second"), ("m1:o:c", b"third")],
    ]
    try:
        written = time.time()
        for items in writes:
            await tier.put_many(items)
            for key, value in items:
                twin.set(key, value, expire=60, tag=key.partition(":")[0])
        cache = tier._cache
        rows = "SELECT key, raw, size, mode, filename IS NULL, tag, value FROM Cache ORDER BY key"
        assert cache._sql(rows).fetchall() == twin._sql(rows).fetchall()
        assert cache.check() == [], "diskcache finds its table consistent"
        assert cache._sql("PRAGMA page_size").fetchall() == [(16384,)]
        assert cache._sql("PRAGMA auto_vacuum").fetchall() == [(1,)], "diskcache's own setting: FULL"
        assert len(cache) == 4
        value, expire_time, tag = cache.get("m1:o:a", expire_time=True, tag=True)
        assert (value, tag) == (b"second", "m1")
        assert written + 59 < expire_time < time.time() + 61
        assert cache.get("m2:o:b") == bytes(3000)
        assert cache.get("m1:o:big") == bytes(range(256)) * 200
        assert cache.evict("m1") == 3, "the tag index finds every entry of the model"
        assert cache.check() == []
        assert len(cache) == 1
    finally:
        twin.close()
        await tier.aclose()


async def test_a_prefix_longer_than_a_models_is_dropped_key_by_key(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m:o1:a", b"1"), ("m:o1:b", b"2"), ("m:o2:a", b"3")])
        assert await tier.drop_prefix("m:o1:") == 2
        assert await tier.get_many(["m:o1:a", "m:o1:b", "m:o2:a"]) == [None, None, b"3"]
    finally:
        await tier.aclose()


async def test_a_dropped_models_vectors_are_erased_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    secret = b"a vector that must leave the disk " * 40
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("gone:o:a", secret), ("kept:o:b", b"kept vector")])
    assert await tier.drop_prefix("gone:") == 1
    on_disk = b"".join(part.read_bytes() for part in path.rglob("*") if part.is_file())
    assert secret[:40] not in on_disk, "secure_delete overwrote the removed entry's bytes"
    assert b"kept vector" in on_disk
    await tier.aclose()


async def test_past_its_size_the_oldest_written_go_and_the_newest_stay(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=2_000_000, ttl_seconds=60)
    try:
        for start in range(0, 2000, 100):  # 2,000 vectors of 3 KB: three times the budget
            await tier.put_many([(f"m:o:{n:05d}", n.to_bytes(4, "big") * 768) for n in range(start, start + 100)])
        newest = [f"m:o:{n:05d}" for n in range(1900, 2000)]
        assert None not in await tier.get_many(newest)
        assert (await tier.get_many(["m:o:00000"])) == [None], "the first written were culled"
        assert tier.stored_bytes() < 3 * 2_000_000
    finally:
        await tier.aclose()


async def test_an_expired_entry_is_not_served(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=0.2)
    try:
        await tier.put_many([("m:o:a", b"soon gone")])
        assert await tier.get_many(["m:o:a"]) == [b"soon gone"]
        await asyncio.sleep(0.3)
        assert await tier.get_many(["m:o:a"]) == [None]
    finally:
        await tier.aclose()


async def test_after_a_failure_the_file_is_skipped_by_small_and_large_lookups_alike(tmp_path: Path) -> None:
    tier = CountingDisk(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:a", b"1")])
        tier.health.failed(OSError("the disk went away"))
        small, large = ["m:o:a"], ["m:o:a"] + [f"m:o:{n}" for n in range(40)]  # on the loop's thread; in a thread
        assert (await tier.get_many(small), await tier.get_many(large)) == ([None], [None] * 41)
        assert tier.calls == []
        tier.health.worked()
        assert (await tier.get_many(small), (await tier.get_many(large))[0]) == ([b"1"], b"1")
        assert tier.calls == [1, 41]
    finally:
        await tier.aclose()


async def test_a_vector_larger_than_sqlites_pages_is_kept_in_a_file_of_its_own_and_served(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:huge", bytes(range(256)) * 2500), ("m:o:small", b"kept")])
        assert await tier.get_many(["m:o:huge", "m:o:small"]) == [bytes(range(256)) * 2500, b"kept"]
        await tier.drop_prefix("m:")
        assert [p for p in (tmp_path / "cache").rglob("*.val")] == [], "the file went with its entry"
    finally:
        await tier.aclose()


async def test_earlier_versions_files_are_discarded_once_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "embed-cache").mkdir()  # the log of segments (2026-11-25)
    (tmp_path / "embed-cache" / "00000001.log").write_bytes(b"old records")
    for name in ("embed-cache.mdb", "embed-cache.mdb-lock", "embed-cache.mdb-writer", "embed-cache.db"):
        (tmp_path / name).write_bytes(b"an earlier version's file")
    with caplog.at_level(logging.INFO, logger="hfgate.embed_cache"):
        await _a_vector_goes_through_the_disk_file(tmp_path)
        await _a_vector_goes_through_the_disk_file(tmp_path)
    assert sorted(p.name for p in await asyncio.to_thread(lambda: list(tmp_path.iterdir()))) == [DISK_FILE]
    discarded = [r for r in caplog.records if getattr(r, "event", "") == "embed_cache.disk.discarded"]
    assert len(discarded) == 1, "logged once: the second opening finds nothing to discard"


async def test_a_broken_disk_tier_is_set_aside_and_a_new_one_made(tmp_path: Path) -> None:
    (tmp_path / DISK_FILE).write_bytes(b"\x00garbage" * 2000)  # a file where its directory goes
    await _a_vector_goes_through_the_disk_file(tmp_path)
    assert (tmp_path / f"{DISK_FILE}.broken").exists()


async def test_a_damaged_database_is_set_aside_and_a_new_one_made(tmp_path: Path) -> None:
    (tmp_path / DISK_FILE).mkdir()
    (tmp_path / DISK_FILE / "cache.db").write_bytes(b"not a database at all" * 500)
    await _a_vector_goes_through_the_disk_file(tmp_path)
    assert (tmp_path / f"{DISK_FILE}.broken" / "cache.db").exists()


async def _a_vector_goes_through_the_disk_file(data_dir: Path) -> None:
    """A cache on ``data_dir``'s disk tier writes a vector and reads it back from the disk."""
    cache = build_cache(Settings(data_dir=data_dir, embed_cache=True, embed_cache_shared="disk"))
    assert cache is not None
    assert cache.shared is not None
    try:
        await cache.put_many([("m:o:a", b"1")], owner="e")
        assert isinstance(cache.shared, Coalescing)
        assert isinstance(cache.shared.tier, DiskTier)
        disk = cache.shared.tier
        # the disk tier's writes are kept up to WRITE_DELAY, then written in a worker thread
        await until(lambda: disk.get_now(["m:o:a"]) == [b"1"], what="the kept write")
        cache.memory.drop_prefix("")
        assert await cache.get_many(["m:o:a"]) == [b"1"]
    finally:
        await cache.aclose()


WRITE_AND_DIE = """
import asyncio, os, sys
from pathlib import Path
from hfgate.embed_cache.disk_tier import DiskTier
async def main():
    tier = DiskTier(Path(sys.argv[1]), max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"written, never closed")])
    os._exit(0)  # as a process killed: no close
asyncio.run(main())
"""


async def test_what_a_killed_process_wrote_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    await _run(WRITE_AND_DIE, str(path))
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a"]) == [b"written, never closed"]
    finally:
        await tier.aclose()
    with sqlite3.connect(path / "cache.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


WRITE_MANY = """
import asyncio, sys
from pathlib import Path
from hfgate.embed_cache.disk_tier import DiskTier
async def main():
    tier = DiskTier(Path(sys.argv[1]), max_bytes=1 << 26, ttl_seconds=60)
    me = sys.argv[2]
    for start in range(0, 1500, 50):
        part = [(f"m:{me}:{n:032x}", f"{me}-{n}".encode()) for n in range(start, start + 50)]
        await tier.put_many(part)
        assert await tier.get_many([key for key, _ in part]) == [value for _, value in part], "its own write"
    await tier.aclose()
asyncio.run(main())
"""


async def test_three_processes_writing_at_once_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 26, ttl_seconds=60)
    try:
        children = [
            await asyncio.create_subprocess_exec(sys.executable, "-c", WRITE_MANY, str(path), name)
            for name in ("a", "b", "c")
        ]
        assert [await asyncio.wait_for(child.wait(), 120) for child in children] == [0, 0, 0]
        keys = [(f"m:{name}:{n:032x}", f"{name}-{n}".encode()) for name in "abc" for n in range(1500)]
        assert await tier.get_many([key for key, _ in keys]) == [value for _, value in keys]
    finally:
        await tier.aclose()


async def test_the_tier_s_own_connections_have_the_cache_s_pragmas_one_a_thread_closed_at_the_end(
    tmp_path: Path,
) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"vector")])  # written from a worker thread
    assert await tier.get_many(["m:o:a"]) == [b"vector"]  # read on this one
    here, there = tier._db(), await asyncio.to_thread(tier._db)
    assert here is not there
    for db in (here, there):
        assert db.execute("PRAGMA secure_delete").fetchone() == (1,)  # an overwritten vector's bytes are zeroed
        assert db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL, as diskcache's own
    await tier.aclose()
    with pytest.raises(sqlite3.ProgrammingError):
        here.execute("SELECT 1")
