"""The disk tier's index and records: a key the tier does not hold costs no read of a file, a slot
leads to a record that is checked before it is served, and a new index put in place is followed by
every opening of the old one."""

from __future__ import annotations

import secrets
from pathlib import Path

from hfgate.embed_cache import disk_records as records
from hfgate.embed_cache.disk_index import (
    MAX_BUCKETS_LOG2,
    MIN_BUCKETS_LOG2,
    Index,
    Segment,
    _prefix_bits,
    buckets_for,
    digest,
    location,
)
from hfgate.embed_cache.disk_tier import INDEX, DiskTier


def _count_reads(tier: DiskTier) -> list[str]:
    """The keys whose record the tier reads from a segment file (each a ``pread``)."""
    read, store = list[str](), tier._store
    real = store._read

    def counted(key: str, where: int, now: int) -> bytes | None:
        read.append(key)
        return real(key, where, now)

    store._read = counted  # type: ignore[method-assign]
    return read


async def test_a_key_the_tier_does_not_hold_reads_no_file(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    held = [f"m:o:{n:032x}" for n in range(1000)]
    try:
        await tier.put_many([(key, key.encode()) for key in held])
        read = _count_reads(tier)
        new = [f"m:o:{n:032x}" for n in range(10**6, 10**6 + 1000)]
        assert await tier.get_many(new) == [None] * 1000
        assert read == []
        assert await tier.get_many(held[:3]) == [key.encode() for key in held[:3]]
        assert read == held[:3]
    finally:
        await tier.aclose()


def test_digests_spread_digest_keys_and_others_and_are_never_zero() -> None:
    digests = {digest(f"m:o:{n:032x}") >> (64 - MIN_BUCKETS_LOG2) for n in range(4096)}
    assert len(digests) > 2500, "consecutive digests fall in many buckets"
    assert len({digest(f"m:o:{n}") for n in range(1000)}) == 1000  # not hex: hashed
    assert digest("m:o:" + "0" * 32) != 0
    # a key whose text digest cancels its prefix's bits: 0 would be an empty slot, 1 a removed one
    assert digest(f"m:o:{'0' * 16}{_prefix_bits('m:o'):016x}") > 1


def test_a_location_holds_the_segment_size_and_offset() -> None:
    where = location(70_000, 4096, 123_456_789)
    assert (where >> 48, (where >> 32 & 0xFFFF) * 8, where & 0xFFFFFFFF) == (70_000 & 0xFFFF, 4096, 123_456_789)


def test_the_index_is_sized_for_its_keys_within_bounds() -> None:
    assert buckets_for(0) == buckets_for(8192) == MIN_BUCKETS_LOG2  # 16,384 slots, 256 KiB
    assert buckets_for(8193) == MIN_BUCKETS_LOG2 + 1
    assert buckets_for(1 << 20) == 19  # a million keys: 2M slots, 32 MiB
    assert buckets_for(1 << 40) == MAX_BUCKETS_LOG2


async def test_the_index_grows_past_half_its_slots_and_every_opening_follows(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 24, ttl_seconds=60)
    keys = [f"m:o:{n:032x}" for n in range(9000)]
    try:
        other = Index(path / INDEX)  # as another process maps it
        small = (path / INDEX).stat().st_size
        for start in range(0, len(keys), 1000):
            await tier.put_many([(key, key.encode()[-8:]) for key in keys[start : start + 1000]])
        assert (path / INDEX).stat().st_size == 2 * small - 4096
        assert other.replaced
        assert tier._store.index.keys == 9000
        assert await tier.get_many(keys) == [key.encode()[-8:] for key in keys]
        other.close()
        # removed keys' slots stay used (a new key may take one) until a resize leaves them out
        await tier.put_many([(f"gone:o:{n:032x}", b"x") for n in range(3000)])
        assert await tier.drop_prefix("gone:") == 3000
        store = tier._store
        assert store.index.keys == 12_000
        with store._writer():
            resized = store.index.resized()
        try:
            assert resized.keys == 9000
            assert resized.bits == store.index.bits
            assert all(resized.find(digest(key)) == store.index.find(digest(key)) for key in keys)
        finally:
            resized.close()
            resized.path.unlink()
    finally:
        await tier.aclose()
    again = DiskTier(path, max_bytes=1 << 24, ttl_seconds=60)
    try:
        assert await again.get_many(keys[:5]) == [key.encode()[-8:] for key in keys[:5]]
    finally:
        await again.aclose()


def test_a_new_index_put_in_place_marks_the_old_one_replaced(tmp_path: Path) -> None:
    first = Index.create(tmp_path / INDEX, bits=MIN_BUCKETS_LOG2, next_number=2)
    first.set_segments([Segment(1, 0, 0)])
    first.install(tmp_path / INDEX)
    mapped = Index(tmp_path / INDEX)  # as another process maps it
    assert not mapped.replaced
    second = Index.create(tmp_path / INDEX, bits=MIN_BUCKETS_LOG2 + 1, next_number=5)
    second.install(tmp_path / INDEX)
    assert mapped.replaced
    assert Index(tmp_path / INDEX).next_number == 5
    assert not (tmp_path / f"{INDEX}.new").exists()


async def test_an_opening_follows_an_index_put_in_place_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    tier = DiskTier(path, max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("m:o:a", b"1")])
        store = tier._store
        with store._writer():  # as another process rebuilding it would
            store._rebuild(why="test")
        assert store.index.replaced
        await tier.put_many([("m:o:b", b"2")])
        assert not store.index.replaced
        assert await tier.get_many(["m:o:a", "m:o:b"]) == [b"1", b"2"]
    finally:
        await tier.aclose()


def test_a_record_is_served_only_whole_for_its_key_and_alive() -> None:
    raw = records.pack(b"m:o:a", b"vector", 2_000)
    assert len(raw) % records.ALIGN == 0
    assert records.read(raw + b"next record", b"m:o:a", 1_000) == b"vector"
    assert records.read(raw, b"m:o:b", 1_000) is None  # another key's
    assert records.read(raw, b"m:o:a", 2_000) is None  # expired
    assert records.read(raw[:-8], b"m:o:a", 1_000) is None  # cut
    flipped = bytearray(raw)
    flipped[-9] ^= 1
    assert records.read(bytes(flipped), b"m:o:a", 1_000) is None


def test_a_scan_passes_erased_records_and_stops_at_a_torn_one() -> None:
    first, second, third = (records.pack(f"k{n}".encode(), bytes(10 * n), 5) for n in (1, 2, 3))
    found = list(records.scan(first + second + third, len(first + second + third)))
    assert [r.key for r in found] == [b"k1", b"k2", b"k3"]
    erased = records.erased(found[1])
    assert len(erased) == len(second)
    data = first + erased + third
    assert [(r.key, r.expiry) for r in records.scan(data, len(data))] == [(b"k1", 5), (b"\0\0", 0), (b"k3", 5)]
    torn = first + second[:-3] + third
    assert [r.key for r in records.scan(torn, len(torn))] == [b"k1"]


async def test_a_dropped_key_is_forgotten_by_the_index_and_reads_no_file(tmp_path: Path) -> None:
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([("gone:o:a", b"1"), ("kept:o:b", b"2")])
        assert await tier.drop_prefix("gone:") == 1
        read = _count_reads(tier)
        assert await tier.get_many(["gone:o:a", "kept:o:b"]) == [None, b"2"]
        assert read == ["kept:o:b"]
    finally:
        await tier.aclose()


async def test_one_text_in_two_vector_spaces_keeps_both_entries(tmp_path: Path) -> None:
    # the keys share the text's digest and differ by their prefix (the model, the options)
    text = "0123456789abcdef0123456789abcdef"
    keys = [f"{model}:{options}:{text}" for model in ("m1", "m2") for options in ("o1", "o2")]
    assert len({digest(key) for key in keys}) == 4
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 20, ttl_seconds=60)
    try:
        await tier.put_many([(key, key.encode()) for key in keys])
        assert await tier.get_many(keys) == [key.encode() for key in keys]
    finally:
        await tier.aclose()


async def test_random_keys_up_to_half_the_slots_are_all_kept(tmp_path: Path) -> None:
    # keys as the cache makes them (random text digests): at half the slots used, ~5% of the 4-slot
    # buckets get more than 4 keys (sequential test keys spread evenly and never do)
    keys = [f"m:o:{secrets.token_hex(16)}" for _ in range(8192)]
    tier = DiskTier(tmp_path / "cache", max_bytes=1 << 24, ttl_seconds=60)
    try:
        await tier.put_many([(key, key.encode()[-4:]) for key in keys])
        assert tier._store.index.bits == MIN_BUCKETS_LOG2, "not resized: the smallest index at half its slots"
        found = await tier.get_many(keys)
        assert sum(value is None for value in found) == 0
    finally:
        await tier.aclose()
