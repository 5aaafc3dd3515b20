"""A chunked input's offsets and vectors looked up from the cache: a text that is one chunk of itself
costs one call to the shared tier, and the shared tier's entries are not copied into memory."""

from __future__ import annotations

from pathlib import Path

from hfgate.embed_cache import EmbedCache, VectorSpace, text_keys
from hfgate.embed_cache.cache import MemoryTier
from hfgate.embed_cache.vectors import pack
from hfgate.orchestrator.cache.stored_chunks import spans_and_vectors
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import TaskType
from tests.embed_cache.conftest import CountingDisk

WORDS = {"strategy": "word", "max_chunk_size": 10, "overlap": 1}
SHORT = "one two three"
LONG = " ".join(f"word{i}" for i in range(25))


async def test_a_text_of_one_chunk_is_looked_up_in_one_call_and_the_others_in_a_second(tmp_path: Path) -> None:
    endpoint = Endpoint(inference_id="e", task_type=TaskType.TEXT_EMBEDDING, service="x", chunking_settings=WORDS)
    space = VectorSpace(model="m", engine="exact")
    disk = CountingDisk(tmp_path / "cache.db", max_bytes=1 << 20, ttl_seconds=60)
    memory = MemoryTier(max_bytes=1 << 20, ttl_seconds=60)
    cache = EmbedCache(memory=memory, shared=disk)
    try:
        first_offsets, first_found = await spans_and_vectors(cache, space=space, endpoint=endpoint, texts=[SHORT])
        assert first_offsets == [[(0, len(SHORT))]]
        assert first_found == [None]
        assert disk.calls == [2]  # the offsets' key and the text's own, together

        long_offsets, _ = await spans_and_vectors(cache, space=space, endpoint=endpoint, texts=[LONG])
        pieces = [SHORT] + [LONG[a:b] for a, b in long_offsets[0]]
        vectors = {text: pack([float(i), 0.5]) for i, text in enumerate(pieces)}
        await cache.put_many(list(zip(text_keys(space, pieces), vectors.values(), strict=True)), owner="e")
        memory.drop_prefix("")  # a new process: only the disk holds them
        disk.calls.clear()

        offsets, found = await spans_and_vectors(cache, space=space, endpoint=endpoint, texts=[SHORT, LONG])
        assert offsets == [[(0, len(SHORT))], long_offsets[0]]
        assert found == list(vectors.values())
        assert disk.calls == [4, len(long_offsets[0])]  # the short text in the first call; the long one's chunks
        assert len(memory) == 0, "a pass over a corpus keeps nothing in memory"
    finally:
        await disk.aclose()
