"""The disk file's key filter: a lookup of keys the file does not hold opens no transaction, a key the
file holds is always found (written by this process, another one, or a writer that kept no filter),
and a filter grown stale is rebuilt, every process following it."""

from __future__ import annotations

import asyncio
import os
import secrets
import struct
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import lmdb
import pytest

from hfgate.embed_cache import disk_filter
from hfgate.embed_cache.disk_filter import KeyFilter
from hfgate.embed_cache.disk_tier import DiskTier


def _keys(count: int) -> list[str]:
    return [f"0123456789abcdef:0123456789abcdef:{secrets.token_hex(16)}" for _ in range(count)]


class _CountingEnv:
    """The LMDB environment, counting the transactions begun (LMDB itself, not our code, is wrapped)."""

    def __init__(self, env: lmdb.Environment) -> None:
        self.env, self.begun = env, 0

    def begin(self, **kwargs: Any) -> lmdb.Transaction:
        self.begun += 1
        return self.env.begin(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)


async def test_a_lookup_of_keys_the_file_does_not_hold_opens_no_transaction(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache.mdb", max_bytes=1 << 24, ttl_seconds=60)
    held = _keys(500)
    try:
        await tier.put_many([(key, key.encode()) for key in held])
        counting = _CountingEnv(tier._store.env)
        tier._store.env = counting  # type: ignore[assignment]
        new = _keys(2000)
        assert [tier.get_now([key]) for key in new] == [[None]] * len(new)
        # a "maybe" for a key the file lacks is rare (~0.5% at capacity; far less here)
        assert counting.begun < 20
        assert await tier.get_many(held) == [key.encode() for key in held]
        assert [tier.get_now([key]) for key in held[:50]] == [[key.encode()] for key in held[:50]]
    finally:
        tier._store.env = getattr(tier._store.env, "env", tier._store.env)
        await tier.aclose()


def test_a_filter_says_maybe_for_every_key_added_and_rarely_for_others(tmp_path: Path) -> None:
    added = [*_keys(20_000), "short", "not hex at all, and long enough"]
    found = KeyFilter.build(tmp_path / "f", iter([]), count=0, file_id=bytes(16), txnid=0)
    found.add(added)
    assert all(map(found.might_hold, added))
    others = _keys(50_000)
    assert sum(map(found.might_hold, others)) / len(others) < 0.005
    assert not found.full  # 20,002 keys, room for MIN_CAPACITY


async def test_a_key_another_process_writes_is_found_by_a_process_that_opened_the_file_first(tmp_path: Path) -> None:
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await tier.get_many(["m:o:a"]) == [None]
        writer = textwrap.dedent(f"""
            import asyncio
            from pathlib import Path
            from hfgate.embed_cache.disk_tier import DiskTier
            async def main():
                tier = DiskTier(Path({str(path)!r}), max_bytes=1 << 20, ttl_seconds=60)
                await tier.put_many([("m:o:a", b"from the child")])
                await tier.aclose()
            asyncio.run(main())
        """)
        child = await asyncio.create_subprocess_exec(sys.executable, "-c", writer)
        assert await asyncio.wait_for(child.wait(), 60) == 0
        # the child set the key's bits in the filter this process maps
        assert await tier.get_many(["m:o:a"]) == [b"from the child"]
    finally:
        await tier.aclose()


OLD_WRITER = """
import lmdb, struct, sys, time
# as a version of hfgate before the key filter: the same tables, no filter kept
env = lmdb.open(sys.argv[1], subdir=False, max_dbs=3, map_size=64 << 20)
vectors = env.open_db(b"vectors")
with env.begin(write=True) as txn:
    txn.put(b"m:o:old", struct.pack(">Q", int((time.time() + 60) * 1e6)) + b"written without the filter", db=vectors)
env.close()
"""


async def test_a_key_a_writer_without_the_filter_wrote_is_found_once_the_file_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:new", b"kept")])
    await tier.aclose()
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", OLD_WRITER, str(path))
    assert await asyncio.wait_for(child.wait(), 60) == 0
    again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:  # the filter named an earlier transaction than the file's last: rebuilt
        assert await again.get_many(["m:o:old"]) == [b"written without the filter"]
        assert await again.get_many(["m:o:new"]) == [b"kept"]
    finally:
        await again.aclose()


async def test_a_filter_past_its_capacity_is_rebuilt_from_the_files_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(disk_filter, "MIN_CAPACITY", 64)
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 24, ttl_seconds=60)
    other = KeyFilter.open(Path(f"{path}-filter"))  # as another process maps it
    try:
        dropped, kept = [f"gone:x:{i:016x}" for i in range(60)], _keys(40)
        await tier.put_many([(key, b"v") for key in dropped])
        assert await tier.drop_prefix("gone:") == 60
        first = os.stat(f"{path}-filter").st_ino
        await tier.put_many([(key, b"v") for key in kept])  # 100 keys added: past 64, rebuilt
        assert os.stat(f"{path}-filter").st_ino != first
        rebuilt = tier._store.filter
        assert rebuilt is not None
        assert not rebuilt.full
        assert all(map(rebuilt.might_hold, kept))
        assert sum(map(rebuilt.might_hold, dropped)) <= 3  # their bits went with the rebuild
        assert await tier.get_many(kept) == [b"v"] * len(kept)
        # a mapping of the old file follows: it is marked replaced, and the next use maps the new one
        late = _keys(1)
        await tier.put_many([(late[0], b"v")])
        assert other.might_hold(late[0])
        assert other.file_id == rebuilt.file_id
    finally:
        await tier.aclose()


def _damage(where: Path, damage: str) -> None:
    if damage == "garbage":
        where.write_bytes(b"not a filter" * 100)
    elif damage == "truncated":
        where.write_bytes(where.read_bytes()[:100])
    else:
        KeyFilter.build(where, iter([]), count=0, file_id=b"another file id!", txnid=10**6)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "another file's"])
async def test_a_damaged_or_foreign_filter_is_rebuilt_when_the_file_is_opened(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"1")])
    await tier.aclose()
    _damage(Path(f"{path}-filter"), damage)
    again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert await again.get_many(["m:o:a"]) == [b"1"]
    finally:
        await again.aclose()


async def test_a_filter_that_cannot_be_made_leaves_every_key_looked_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.mdb"
    os.mkdir(f"{path}-filter")  # no file can be put there
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert tier._store.filter is None
        await tier.put_many([("m:o:a", b"1")])
        assert await tier.get_many(["m:o:a", "m:o:b"]) == [b"1", None]
    finally:
        await tier.aclose()
    assert any(getattr(r, "event", "") == "embed_cache.disk.no_filter" for r in caplog.records)
    assert "cache.mdb-filter.new" not in os.listdir(tmp_path)  # the attempt leaves nothing behind


def test_an_expired_entry_is_not_served_though_its_bits_stay(tmp_path: Path) -> None:
    # the filter only says "maybe": the file's expiry still decides
    tier = DiskTier(tmp_path / "cache.mdb", max_bytes=1 << 20, ttl_seconds=60)
    try:
        stamp = struct.pack(">Q", int((time.time() - 1) * 1e6))
        tier.import_rows([("m:o:a", b"expired", stamp)])
        assert tier._store.filter is not None
        assert tier._store.filter.might_hold("m:o:a")
        assert tier.get_now(["m:o:a"]) == [None]
    finally:
        asyncio.run(tier.aclose())


WRITE_AND_DIE = """
import asyncio, os, sys
from pathlib import Path
from hfgate.embed_cache.disk_tier import DiskTier
async def main():
    tier = DiskTier(Path(sys.argv[1]), max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"1")])
    await tier.drop_prefix("m:o:a")
    await tier.put_many([("m:o:b", b"2")])
    os._exit(0)  # as a process killed: no close, no sync
asyncio.run(main())
"""


async def test_a_file_a_killed_writer_left_keeps_its_filter(tmp_path: Path) -> None:
    # every write transaction is recorded in the filter as it goes: nothing to rebuild on the next open
    path = tmp_path / "cache.mdb"
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITE_AND_DIE, str(path))
    assert await asyncio.wait_for(child.wait(), 60) == 0
    built = os.stat(f"{path}-filter").st_ino
    again = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        assert os.stat(f"{path}-filter").st_ino == built
        assert await again.get_many(["m:o:b"]) == [b"2"]
    finally:
        await again.aclose()


async def test_a_process_that_wrote_nothing_leaves_the_filter_as_it_was(tmp_path: Path) -> None:
    # its close commits no transaction: recording one would make the next opening rebuild the filter
    path = tmp_path / "cache.mdb"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    await tier.put_many([("m:o:a", b"1")])
    await tier.aclose()
    built = os.stat(f"{path}-filter").st_ino
    for _ in range(2):
        reader = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
        assert await reader.get_many(["m:o:a"]) == [b"1"]
        await reader.aclose()
    assert os.stat(f"{path}-filter").st_ino == built
