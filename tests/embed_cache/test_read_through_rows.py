"""The read-through on a local model's vectors: a request the cache holds nothing of gets the computed
rows back as they came (``FloatRows``: the OpenAI face's base64 reads their array), stored from their
float32 bytes without a Python float made; a repeat gets the very same floats from the cache."""

from __future__ import annotations

import numpy as np

from hfgate.embed_cache import EmbedCache
from hfgate.embed_cache.cache import MemoryTier
from hfgate.embed_cache.vectors import unpack
from hfgate.orchestrator.cache.dense import DenseVectors
from hfgate.orchestrator.cache.read_through import read_through
from hfgate.tasks import FloatRows, Usage

ROWS = np.array([[0.25, -1.5, 3.0], [0.1, 0.2, 0.3]], dtype=np.float32)


async def test_an_all_miss_request_keeps_the_computed_rows_and_a_repeat_reads_them_back() -> None:
    cache = EmbedCache(memory=MemoryTier(max_bytes=1 << 20, ttl_seconds=60))
    computed: list[list[int]] = []

    async def compute(places: list[int]) -> tuple[FloatRows, Usage]:
        computed.append(places)
        return FloatRows(ROWS[places]), Usage(prompt_tokens=len(places))

    first = await read_through(cache, DenseVectors(), model="m", keys=["a", "b"], compute=compute, owner="e")
    assert isinstance(first.values, FloatRows)
    assert first.values.array.tobytes() == ROWS.tobytes()
    assert first.values._lists is None  # stored and handed back without a Python float

    again = await read_through(cache, DenseVectors(), model="m", keys=["a", "b"], compute=compute, owner="e")
    assert computed == [[0, 1]]  # the repeat was served by the cache
    assert again.values == ROWS.tolist()

    mixed = await read_through(cache, DenseVectors(), model="m", keys=["b", "c", "a"], compute=compute, owner="e")
    assert computed == [[0, 1], [1]]  # only the missing one, at its place
    assert list(mixed.values) == [ROWS[1].tolist(), ROWS[1].tolist(), ROWS[0].tolist()]


def test_rows_pack_as_the_same_floats_given_as_lists_do() -> None:
    keys = ["a", "b"]
    from_rows = DenseVectors().pack("m", keys, FloatRows(ROWS))
    assert from_rows == DenseVectors().pack("m", keys, ROWS.tolist())
    assert [unpack(data) for _, data in from_rows] == ROWS.tolist()
