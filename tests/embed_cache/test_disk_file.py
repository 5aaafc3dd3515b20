"""The disk tier's files as a machine uses them: several processes on one directory, a writer that
never holds the event loop while another process writes, a size kept by removing the oldest segments,
a model's entries erased from the disk, earlier versions' files (LMDB, SQLite) imported once, a broken
tier that never keeps the service from starting, and what a killed process or a machine that went down
leaves: served where whole, never a wrong vector."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import struct
import sys
import textwrap
import time
from pathlib import Path

import lmdb
import pytest

from hfgate.config import Settings
from hfgate.embed_cache import disk_tier
from hfgate.embed_cache.cache import DISK_FILE, build_cache
from hfgate.embed_cache.disk_import import LMDB_FILE, OLD_FILE
from hfgate.embed_cache.disk_tier import INDEX, WRITER, DiskTier
from tests.embed_cache.conftest import CountingDisk

HOLD_WRITER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _segments(path: Path) -> list[Path]:
    return sorted(path.glob("*.log"))


async def test_another_process_reads_what_one_wrote(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    writer = textwrap.dedent(f"""
        import asyncio
        from pathlib import Path
        from hfgate.embed_cache.disk_tier import DiskTier
        async def main():
            tier = DiskTier(Path({str(path)!r}), max_bytes=1 << 20, ttl_seconds=60)
            await tier.put_many([("m:o:a", b"from the child"), ("m:o:b", bytes(3000))])
            await tier.aclose()
        asyncio.run(main())
    """)
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", writer)
    assert await asyncio.wait_for(child.wait(), 60) == 0
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a", "m:o:b", "m:o:c"]) == [b"from the child", bytes(3000), None]
        # two records: a 20-byte header, the key, the vector, padded to 8 bytes
        assert tier.stored_bytes() == sum(path.stat().st_size for path in _segments(path)) == 40 + 3032
    finally:
        await tier.aclose()


async def test_a_process_that_mapped_the_index_first_finds_what_another_writes_later(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    writer = textwrap.dedent(f"""
        import asyncio
        from pathlib import Path
        from hfgate.embed_cache.disk_tier import DiskTier
        async def main():
            tier = DiskTier(Path({str(path)!r}), max_bytes=1 << 20, ttl_seconds=60)
            await tier.put_many([(f"m:o:{{n}}", str(n).encode()) for n in range(500)])
            await tier.aclose()
        asyncio.run(main())
    """)
    try:
        assert await tier.get_many(["m:o:7"]) == [None]
        child = await asyncio.create_subprocess_exec(sys.executable, "-c", writer)
        assert await asyncio.wait_for(child.wait(), 60) == 0
        assert await tier.get_many([f"m:o:{n}" for n in range(500)]) == [str(n).encode() for n in range(500)]
    finally:
        await tier.aclose()


async def test_a_write_while_another_process_writes_waits_in_a_thread_not_on_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_WRITER, str(path / WRITER), "0.5", stdout=asyncio.subprocess.PIPE
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


async def test_a_large_write_goes_in_slices_and_every_vector_is_kept(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    items = [(f"m:o:{n:05d}", n.to_bytes(4, "big") * 100) for n in range(1000)]
    try:
        await tier.put_many(items)
        assert await tier.get_many([key for key, _ in items]) == [value for _, value in items]
        assert tier.stored_bytes() == 1000 * 432  # 20 + 10 + 400, padded
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


async def test_a_dropped_models_keys_and_vectors_are_erased_from_the_files(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    secret, kept = b"a vector of the removed model " * 4, b"another model's vector " * 4
    try:
        await tier.put_many([("removed:o:a", secret), ("other:o:b", kept)])
        await tier.put_many([("removed:o:a", secret)])
        assert await tier.drop_prefix("removed:") == 1
        written = b"".join(segment.read_bytes() for segment in _segments(path))
        assert secret not in written
        assert b"removed:" not in written
        assert kept in written
        again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)  # the same process's opening
        assert await again.get_many(["removed:o:a", "other:o:b"]) == [None, kept]
        await again.aclose()
    finally:
        await tier.aclose()
    # the erased records stay whole: the index rebuilt from the segments finds the others past them
    (path / INDEX).unlink()
    reopened = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await reopened.get_many(["removed:o:a", "other:o:b"]) == [None, kept]
    finally:
        await reopened.aclose()


async def test_past_its_size_the_oldest_segments_go_and_the_newest_written_stay(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=10_000, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:first", bytes(1000))])
        for n in range(30):
            await tier.put_many([(f"m:o:{n:02d}", bytes(1000))])
            if n == 5:
                await tier.put_many([("m:o:first", bytes(1000))])  # written again: now among the newer
            assert tier.stored_bytes() <= 10_000
        found = await tier.get_many([f"m:o:{n:02d}" for n in range(30)])
        kept = [n for n, value in enumerate(found) if value is not None]
        assert kept == list(range(30 - len(kept), 30))
        assert len(kept) >= 7, "at most an eighth of the size is given up to the segment being written"
        assert await tier.get_many(["m:o:first"]) == [None]
        assert tier.stored_bytes() == sum(segment.stat().st_size for segment in _segments(path))
    finally:
        await tier.aclose()


async def test_a_segment_whose_entries_all_expired_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=3600)
    try:
        # a short-lived segment (a shorter-lived opening, or imported rows): past their expiry it goes whole
        tier.import_rows([(f"m:o:soon-{n}", bytes(40_000), disk_tier.stamp(time.time() + 0.3)) for n in range(4)])
        await tier.put_many([(f"m:o:later-{n}", bytes(40_000)) for n in range(4)])
        await tier.put_many([("m:o:next", bytes(10))])  # a third segment: each of the first two is full
        assert len(_segments(path)) == 3
        await asyncio.sleep(0.4)
        assert await tier.get_many(["m:o:soon-0"]) == [None]  # expired: never served
        await tier.put_many([("m:o:last", bytes(10))])
        assert len(_segments(path)) == 2
        assert await tier.get_many(["m:o:later-0", "m:o:next", "m:o:last"]) == [bytes(40_000), bytes(10), bytes(10)]
    finally:
        await tier.aclose()


async def test_an_expired_row_is_not_written(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    try:
        tier.import_rows([("m:o:gone", b"expired", disk_tier.stamp(time.time() - 1))])
        assert tier.stored_bytes() == 0
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


def _old_file(path: Path, rows: list[tuple[str, bytes, float]]) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL)")
    db.executemany("INSERT INTO vectors VALUES (?, ?, ?)", rows)
    db.commit()
    db.close()


async def test_an_earlier_versions_sqlite_file_is_imported_once_with_its_expiries(tmp_path: Path) -> None:
    now = time.time()
    _old_file(tmp_path / OLD_FILE, [("m:o:a", b"alive", now + 3600), ("m:o:b", b"gone", now - 1)])
    cache = build_cache(Settings(data_dir=tmp_path, embed_cache=True, embed_cache_shared="disk"))
    assert cache is not None
    try:
        assert await cache.get_many(["m:o:a", "m:o:b"]) == [b"alive", None]
        assert not (tmp_path / OLD_FILE).exists()
        assert not (tmp_path / f"{OLD_FILE}-wal").exists()
        assert (tmp_path / DISK_FILE / INDEX).exists()
    finally:
        await cache.aclose()


async def test_an_unreadable_earlier_file_is_set_aside_and_the_cache_works(tmp_path: Path) -> None:
    (tmp_path / OLD_FILE).write_bytes(b"not a database at all" * 100)
    await _a_vector_goes_through_the_disk_file(tmp_path)
    assert (tmp_path / f"{OLD_FILE}.unreadable").exists()


async def test_a_broken_disk_tier_is_set_aside_and_a_new_one_made(tmp_path: Path) -> None:
    (tmp_path / DISK_FILE).write_bytes(b"\x00garbage" * 2000)  # a file where its directory goes
    await _a_vector_goes_through_the_disk_file(tmp_path)  # a new file replaces the broken one
    assert (tmp_path / f"{DISK_FILE}.broken").exists()


async def _a_vector_goes_through_the_disk_file(data_dir: Path) -> None:
    """A cache on ``data_dir``'s disk file writes a vector and reads it back from the file."""
    cache = build_cache(Settings(data_dir=data_dir, embed_cache=True, embed_cache_shared="disk"))
    assert cache is not None
    assert cache.shared is not None
    try:
        await cache.put_many([("m:o:a", b"1")], owner="e")
        await asyncio.sleep(0.05)  # the disk file's writes are kept up to WRITE_DELAY
        cache.memory.drop_prefix("")
        assert await cache.get_many(["m:o:a"]) == [b"1"]
    finally:
        await cache.aclose()


def _lmdb_file(path: Path, rows: list[tuple[str, bytes, float]]) -> None:
    """A disk file as hfgate wrote it until 2026-11-25: LMDB, a key to its expiry stamp and vector."""
    env = lmdb.open(str(path), subdir=False, max_dbs=3, map_size=64 << 20)
    vectors, order = env.open_db(b"vectors"), env.open_db(b"order")
    with env.begin(write=True) as txn:
        for key, value, expires in rows:
            expiry = struct.pack(">Q", int(expires * 1e6))
            txn.put(key.encode(), expiry + value, db=vectors)
            txn.put(expiry + key.encode(), b"", db=order)
    env.close()
    for part in ("-writer", "-filter"):
        Path(f"{path}{part}").write_bytes(b"")


async def test_an_earlier_versions_lmdb_file_is_imported_once_with_its_expiries(tmp_path: Path) -> None:
    now = time.time()
    _lmdb_file(tmp_path / LMDB_FILE, [("m:o:a", b"alive", now + 3600), ("m:o:b", b"gone", now - 1)])
    cache = build_cache(Settings(data_dir=tmp_path, embed_cache=True, embed_cache_shared="disk"))
    assert cache is not None
    try:
        assert await cache.get_many(["m:o:a", "m:o:b"]) == [b"alive", None]
        left = sorted(os.listdir(tmp_path))
        assert left == [DISK_FILE], "the LMDB file, its lock, writers' lock and key filter removed"
    finally:
        await cache.aclose()
    # the entry keeps its own expiry, not the tier's
    again = DiskTier(tmp_path / DISK_FILE, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await again.get_many(["m:o:a"]) == [b"alive"]
        segment = _segments(tmp_path / DISK_FILE)[0].read_bytes()
        assert struct.unpack_from("<Q", segment, 12)[0] == int((now + 3600) * 1e6)
    finally:
        await again.aclose()


async def test_an_unreadable_lmdb_file_is_set_aside_and_the_cache_works(tmp_path: Path) -> None:
    (tmp_path / LMDB_FILE).write_bytes(b"not an LMDB file" * 1000)
    await _a_vector_goes_through_the_disk_file(tmp_path)
    assert (tmp_path / f"{LMDB_FILE}.unreadable").exists()
    assert not (tmp_path / LMDB_FILE).exists()


async def test_a_damaged_or_missing_index_is_rebuilt_from_the_segments(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([(f"m:o:{n}", str(n).encode() * 10) for n in range(200)])
    await tier.aclose()
    for damage in ("garbage", "missing", "truncated"):
        index = path / INDEX
        if damage == "garbage":
            index.write_bytes(b"\xff" * index.stat().st_size)
        elif damage == "missing":
            index.unlink()
        else:
            index.write_bytes(index.read_bytes()[:5000])
        again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
        try:
            found = await again.get_many([f"m:o:{n}" for n in range(200)])
            assert found == [str(n).encode() * 10 for n in range(200)], damage
        finally:
            await again.aclose()
    assert [r.why for r in caplog.records if getattr(r, "event", "") == "embed_cache.disk.rebuilt"] == [
        "damaged",
        "missing",
        "damaged",
    ]


async def test_a_record_changed_on_the_disk_is_never_served(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:a", b"A" * 100), ("m:o:b", b"B" * 100)])
        segment = _segments(path)[0]
        raw = bytearray(segment.read_bytes())
        raw[raw.index(b"B" * 100) + 50] = ord("C")  # one byte of the second vector
        segment.write_bytes(bytes(raw))
        assert await tier.get_many(["m:o:a", "m:o:b"]) == [b"A" * 100, None]
    finally:
        await tier.aclose()


async def test_keys_of_one_full_bucket_go_on_to_the_next_and_a_removed_one_does_not_hide_them(
    tmp_path: Path,
) -> None:
    from hfgate.embed_cache.disk_index import MIN_BUCKETS_LOG2, digest

    # keys shaped as the cache's (a 32-digit text digest last) that fall in one bucket of the index
    shift, keys = 64 - MIN_BUCKETS_LOG2, list[str]()
    bucket, n = None, 0
    while len(keys) < 9:
        key, n = f"gone:o:{n:032x}" if len(keys) < 2 else f"m:o:{n:032x}", n + 1
        if bucket is None or digest(key) >> shift == bucket:
            bucket = digest(key) >> shift
            keys.append(key)
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    try:
        for key in keys:  # 4 slots a bucket: the last 5 in the next two buckets
            await tier.put_many([(key, key.encode())])
        assert await tier.get_many(keys) == [key.encode() for key in keys]
        assert await tier.drop_prefix("gone:") == 2  # two slots of the full bucket marked removed
        assert await tier.get_many(keys) == [None, None] + [key.encode() for key in keys[2:]]
        used = tier._store.index.keys
        await tier.put_many([(keys[0], b"again")])  # into a removed slot
        assert await tier.get_many(keys) == [b"again", None] + [key.encode() for key in keys[2:]]
        assert tier._store.index.keys == used
    finally:
        await tier.aclose()


async def test_segment_files_the_table_does_not_name_are_removed_at_opening(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"1")])
    await tier.aclose()
    (path / "0000000099.log").write_bytes(b"a writer died before recording it")
    again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert not (path / "0000000099.log").exists()
        assert await again.get_many(["m:o:a"]) == [b"1"]
    finally:
        await again.aclose()


WRITE_AND_DIE = """
import asyncio, os, sys
from pathlib import Path
from hfgate.embed_cache.disk_tier import DiskTier
async def main():
    tier = DiskTier(Path(sys.argv[1]), max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"written, never synced"), ("m:o:b", b"torn by the crash " * 10)])
    os._exit(0)  # as a process killed: no close, no sync
asyncio.run(main())
"""


async def _write_and_die(path: Path) -> None:
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITE_AND_DIE, str(path))
    assert await asyncio.wait_for(child.wait(), 60) == 0


async def test_what_a_killed_process_wrote_is_kept_while_the_machine_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache"
    await _write_and_die(path)
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a"]) == [b"written, never synced"]
    finally:
        await tier.aclose()
    assert not any(getattr(r, "event", "") == "embed_cache.disk.rebuilt" for r in caplog.records)


async def test_files_left_unsynced_by_an_earlier_boot_are_reindexed_and_a_torn_record_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # the machine went down before the kernel wrote everything: the last record's end lost, and pages
    # of the index with it (here all of it: a stale slot must not matter either)
    path = tmp_path / "cache"
    await _write_and_die(path)
    segment = _segments(path)[0]
    segment.write_bytes(segment.read_bytes()[:-40])
    monkeypatch.setattr(disk_tier, "boot_id", lambda: b"the next boot")
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a", "m:o:b"]) == [b"written, never synced", None]
        await tier.put_many([("m:o:b", b"new")])
        assert await tier.get_many(["m:o:b"]) == [b"new"]
        assert len(_segments(path)) == 2, "nothing appended after the torn record: a new segment"
    finally:
        await tier.aclose()
    assert [r.why for r in caplog.records if getattr(r, "event", "") == "embed_cache.disk.rebuilt"] == ["crashed"]


async def test_files_closed_cleanly_are_kept_across_boots_without_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"synced at close")])
    await tier.aclose()
    inode = (path / INDEX).stat().st_ino
    monkeypatch.setattr(disk_tier, "boot_id", lambda: b"the next boot")
    again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await again.get_many(["m:o:a"]) == [b"synced at close"]
        assert (path / INDEX).stat().st_ino == inode
    finally:
        await again.aclose()
    assert not any(getattr(r, "event", "") == "embed_cache.disk.rebuilt" for r in caplog.records)


WRITE_MANY = """
import asyncio, sys
from pathlib import Path
from hfgate.embed_cache.disk_tier import DiskTier
async def main():
    tier = DiskTier(Path(sys.argv[1]), max_bytes=1 << 26, ttl_seconds=60)
    me = sys.argv[2]
    for start in range(0, 3000, 50):
        part = [(f"m:{me}:{n:032x}", f"{me}-{n}".encode()) for n in range(start, start + 50)]
        await tier.put_many(part)
        assert await tier.get_many([key for key, _ in part]) == [value for _, value in part], "its own write"
    await tier.aclose()
asyncio.run(main())
"""


async def test_three_processes_writing_at_once_while_the_index_grows_lose_no_key(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 26, ttl_seconds=60)  # the index made, at its smallest
    try:
        children = [
            await asyncio.create_subprocess_exec(sys.executable, "-c", WRITE_MANY, str(path), name)
            for name in ("a", "b", "c")
        ]
        assert [await asyncio.wait_for(child.wait(), 120) for child in children] == [0, 0, 0]
        keys = [(f"m:{name}:{n:032x}", f"{name}-{n}".encode()) for name in "abc" for n in range(3000)]
        assert tier._store.index.replaced, "9,000 keys: the index grew past its first 16,384 slots"
        assert await tier.get_many([key for key, _ in keys]) == [value for _, value in keys]
    finally:
        await tier.aclose()


async def test_a_vector_too_large_for_the_index_is_not_kept_and_the_rest_of_its_write_is(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:huge", bytes(600_000)), ("m:o:small", b"kept")])
        assert await tier.get_many(["m:o:huge", "m:o:small"]) == [None, b"kept"]
        assert tier.health.available
    finally:
        await tier.aclose()
