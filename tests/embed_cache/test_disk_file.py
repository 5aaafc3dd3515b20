"""The disk tier's LMDB file as a machine uses it: several processes on one file, a writer that never
holds the event loop while another process writes, a size kept by bounded trims, an earlier version's
SQLite file imported once, a broken file that never keeps the service from starting, and a file a
machine crash may have broken (left unsynced by an earlier boot) emptied, never served."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.embed_cache import disk_tier
from hfgate.embed_cache.cache import DISK_FILE, build_cache
from hfgate.embed_cache.disk_import import OLD_FILE
from hfgate.embed_cache.disk_tier import DiskTier
from tests.embed_cache.conftest import CountingDisk

HOLD_WRITER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1] + "-writer", os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


async def test_another_process_reads_what_one_wrote(tmp_path: Path) -> None:
    path = tmp_path / "cache.mdb"
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
        assert tier.stored_bytes() == len(b"from the child") + 3000
    finally:
        await tier.aclose()


async def test_a_write_while_another_process_writes_waits_in_a_thread_not_on_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_WRITER, str(path), "0.5", stdout=asyncio.subprocess.PIPE
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
    tier = DiskTier(tmp_path / "cache.mdb", max_bytes=1 << 24, ttl_seconds=60)
    items = [(f"m:o:{n:05d}", n.to_bytes(4, "big") * 100) for n in range(1000)]
    try:
        await tier.put_many(items)
        assert await tier.get_many([key for key, _ in items]) == [value for _, value in items]
        assert tier.stored_bytes() == 1000 * 400
    finally:
        await tier.aclose()


async def test_the_size_counts_a_replaced_vector_once_and_a_dropped_one_not_at_all(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache.mdb", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m1:o:a", bytes(100)), ("m2:o:b", bytes(50))])
        await tier.put_many([("m1:o:a", bytes(30))])  # written again: the newer replaces it
        await tier.put_many([("m3:o:c", b"zz-first"), ("m3:o:c", b"aa-last")])  # twice in one write: the later
        assert await tier.get_many(["m3:o:c"]) == [b"aa-last"]
        await tier.drop_prefix("m3:")
        assert tier.stored_bytes() == 80
        assert await tier.get_many(["m1:o:a"]) == [bytes(30)]
        assert await tier.drop_prefix("m1:") == 1
        assert tier.stored_bytes() == 50
    finally:
        await tier.aclose()


async def test_one_write_of_new_and_existing_keys_of_two_sizes_counts_each_vector_once(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache.mdb", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:a", bytes(100)), ("m:o:b", b"b" * 40)])
        # in one write: a key again with another size, one again with its size, two new keys of two sizes
        again = [("m:o:a", b"a" * 30), ("m:o:c", b"c" * 100), ("m:o:b", b"B" * 40), ("m:o:d", b"d" * 40)]
        await tier.put_many(again)
        assert await tier.get_many([key for key, _ in again]) == [value for _, value in again]
        assert tier.stored_bytes() == 30 + 100 + 40 + 40
    finally:
        await tier.aclose()


async def test_a_write_expiring_both_before_and_after_the_last_written_keeps_the_oldest_first(tmp_path: Path) -> None:
    # one write's rows are appended to the order table where they sort last; one sorting before its last
    # key (here the earlier-expiring of two imported rows) is put in its place
    tier = DiskTier(tmp_path / "cache.mdb", max_bytes=3_500, ttl_seconds=3600)
    try:
        await tier.put_many([("m:o:x", bytes(1000))])
        now = time.time()
        tier.import_rows(
            [
                ("m:o:later", bytes(1000), disk_tier.stamp(now + 7200)),
                ("m:o:early", bytes(1000), disk_tier.stamp(now + 600)),
            ]
        )
        await tier.put_many([("m:o:y", bytes(1000))])  # past the size: the entry expiring first goes
        found = await tier.get_many(["m:o:early", "m:o:x", "m:o:y", "m:o:later"])
        assert found == [None, bytes(1000), bytes(1000), bytes(1000)]
        assert tier.stored_bytes() == 3000
    finally:
        await tier.aclose()


async def test_a_file_past_its_size_is_trimmed_to_the_newest_and_a_replaced_entry_counts_as_new(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache.mdb", max_bytes=10_000, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:first", bytes(1000))])
        for n in range(30):
            await tier.put_many([(f"m:o:{n:02d}", bytes(1000))])
            if n == 5:
                await asyncio.sleep(0.002)
                await tier.put_many([("m:o:first", bytes(1000))])  # written again: now among the newer
        assert tier.stored_bytes() <= 10_000
        found = await tier.get_many([f"m:o:{n:02d}" for n in range(30)])
        kept = [n for n, value in enumerate(found) if value is not None]
        assert kept == list(range(30 - len(kept), 30))
        assert len(kept) * 1000 == tier.stored_bytes()
    finally:
        await tier.aclose()


async def test_entries_expiring_before_the_last_written_are_still_trimmed_oldest_first(tmp_path: Path) -> None:
    # a batch's rows go in key order, each appended to the order table where it sorts last; a row that
    # expires before rows already written (a shorter-lived opening of the file, an imported row) is put in
    # its place, so that the oldest are still the first to go
    long_lived = DiskTier(tmp_path / "cache.mdb", max_bytes=3_500, ttl_seconds=3600)
    short_lived = DiskTier(tmp_path / "cache.mdb", max_bytes=3_500, ttl_seconds=600)
    try:
        await long_lived.put_many([("m:o:z-late", bytes(1000)), ("m:o:a-late", bytes(1000))])
        await short_lived.put_many([("m:o:m-early", bytes(1000)), ("m:o:b-early", bytes(1000))])
        assert short_lived.stored_bytes() <= 3_500
        found = await long_lived.get_many(["m:o:a-late", "m:o:z-late", "m:o:b-early", "m:o:m-early"])
        # past the size, the entries expiring first went first: the short-lived ones, in key order
        assert found == [bytes(1000), bytes(1000), None, bytes(1000)]
        # a row already expired sorts first in the order table: the write's own sweep removes it
        long_lived.import_rows([("m:o:gone", b"expired", disk_tier.stamp(time.time() - 1))])
        long_lived.import_rows([("m:o:kept", b"x", disk_tier.stamp(time.time() + 1))])
        assert await long_lived.get_many(["m:o:gone", "m:o:kept"]) == [None, b"x"]
        assert long_lived.stored_bytes() == 3 * 1000 + 1
    finally:
        await short_lived.aclose()
        await long_lived.aclose()


async def test_after_a_failure_the_file_is_skipped_by_small_and_large_lookups_alike(tmp_path: Path) -> None:
    tier = CountingDisk(tmp_path / "cache.mdb", max_bytes=1 << 20, ttl_seconds=60)
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
        assert (tmp_path / DISK_FILE).exists()
    finally:
        await cache.aclose()


async def test_an_unreadable_earlier_file_is_set_aside_and_the_cache_works(tmp_path: Path) -> None:
    (tmp_path / OLD_FILE).write_bytes(b"not a database at all" * 100)
    await _a_vector_goes_through_the_disk_file(tmp_path)
    assert (tmp_path / f"{OLD_FILE}.unreadable").exists()


async def test_a_broken_disk_file_is_set_aside_and_a_new_one_made(tmp_path: Path) -> None:
    (tmp_path / DISK_FILE).write_bytes(b"\x00garbage" * 2000)
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


WRITE_AND_DIE = """
import asyncio, os, sys
from pathlib import Path
from hfgate.embed_cache.disk_tier import DiskTier
async def main():
    tier = DiskTier(Path(sys.argv[1]), max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"written, never synced")])
    os._exit(0)  # as a process killed: no close, no sync
asyncio.run(main())
"""


async def _write_and_die(path: Path) -> None:
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITE_AND_DIE, str(path))
    assert await asyncio.wait_for(child.wait(), 60) == 0


async def test_a_file_a_killed_process_left_is_kept_while_the_machine_runs(tmp_path: Path) -> None:
    path = tmp_path / "cache.mdb"
    await _write_and_die(path)
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a"]) == [b"written, never synced"]
    finally:
        await tier.aclose()


async def test_a_file_left_unsynced_by_an_earlier_boot_is_emptied_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # the machine went down before the kernel wrote the file: LMDB without fsync may have left it broken
    path = tmp_path / "cache.mdb"
    await _write_and_die(path)
    monkeypatch.setattr(disk_tier, "boot_id", lambda: b"the next boot")
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a"]) == [None]
        assert tier.stored_bytes() == 0
        await tier.put_many([("m:o:b", b"new")])
        assert await tier.get_many(["m:o:b"]) == [b"new"]
    finally:
        await tier.aclose()
    assert any(getattr(r, "event", "") == "embed_cache.disk.crashed" for r in caplog.records)


async def test_a_file_closed_cleanly_is_kept_across_boots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"synced at close")])
    await tier.aclose()
    monkeypatch.setattr(disk_tier, "boot_id", lambda: b"the next boot")
    again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await again.get_many(["m:o:a"]) == [b"synced at close"]
        await again.put_many([("m:o:b", b"marked by this boot")])
    finally:
        await again.aclose()


GROW = """
import asyncio, sys
from pathlib import Path
from hfgate.embed_cache.disk_tier import DiskTier
async def main():
    tier = DiskTier(Path(sys.argv[1]), max_bytes=400 << 20, ttl_seconds=60)  # a larger budget, a larger map
    for part in range(30):
        await tier.put_many([(f"m:o:{part}-{i}", bytes(3000)) for i in range(1000)])
    await tier.aclose()
asyncio.run(main())
"""


async def test_a_file_another_process_grew_past_this_ones_map_is_still_read_and_written(tmp_path: Path) -> None:
    # LMDB answers MDB_MAP_RESIZED to every transaction of a process whose map the file outgrew (an
    # `embed-corpus` run with a larger HFGATE_EMBED_CACHE_DISK_MB beside the server): the tier adopts it
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:a", b"before")])
        child = await asyncio.create_subprocess_exec(sys.executable, "-c", GROW, str(path))
        assert await asyncio.wait_for(child.wait(), 120) == 0
        assert path.stat().st_size > tier._store.env.info()["map_size"]
        assert await tier.get_many(["m:o:a", "m:o:29-999"]) == [b"before", bytes(3000)]
        assert tier.health.available
        assert await tier.drop_prefix("m:o:0-") == 1000  # in a worker thread
        await tier.put_many([("m:o:b", b"after")])
        assert await tier.get_many(["m:o:b"]) == [b"after"]
        assert tier.health.available
    finally:
        await tier.aclose()
