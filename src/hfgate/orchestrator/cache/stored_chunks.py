"""What the cache holds of a chunked request, computing no vector: each input's chunk offsets, and the
chunks of an input the cache holds entirely, with their vectors as the cache keeps them (packed bytes):
what ``embed-corpus`` writes to Parquet without unpacking a vector into Python floats, and need not send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from hfgate.chunking import merge_chunks
from hfgate.chunking.merge import MAX_CHUNKS
from hfgate.embed_cache import EmbedCache, VectorSpace, text_keys
from hfgate.embed_cache.vectors import pack, unpack
from hfgate.orchestrator.cache.spans import Spans, cached_spans, span_keys
from hfgate.registry.endpoint import Endpoint


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredChunk:
    """A chunk of an input: its offsets (Python string indices), its text and its packed vector."""

    start: int
    end: int
    text: str
    packed: bytes


async def spans_and_vectors(
    cache: EmbedCache, *, space: VectorSpace, endpoint: Endpoint, texts: Sequence[str]
) -> tuple[list[Spans], list[bytes | None]]:
    """Each text's chunk offsets, and the packed vector of every chunk (texts after each other; ``None``
    where the cache lacks it), looked up without keeping the shared tier's entries in memory.

    A text that is one chunk of itself (a short document) is one lookup: its offsets and its own
    vector are asked together, in one call to the cache; the chunks of the other texts in a second.
    """
    keys = span_keys(space.model, endpoint, texts)
    found = await cache.get_many(keys + text_keys(space, texts), keep=False)
    asked = (keys, found[: len(texts)])
    offsets = await cached_spans(cache, model=space.model, endpoint=endpoint, texts=texts, asked=asked)
    vectors: list[bytes | None] = []
    later: list[tuple[int, str]] = []  # a chunk's place in ``vectors``, and its text
    for text, spans, whole in zip(texts, offsets, found[len(texts) :], strict=True):
        if len(spans) == 1 and spans[0] == (0, len(text)):
            vectors.append(whole)
            continue
        for a, b in spans:
            later.append((len(vectors), text[a:b]))
            vectors.append(None)
    if later:
        more = await cache.get_many(text_keys(space, [piece for _, piece in later]), keep=False)
        for (place, _), value in zip(later, more, strict=True):
            vectors[place] = value
    return offsets, vectors


def cached_inputs(
    texts: Sequence[str], offsets: Sequence[Spans], *, found: Sequence[bytes | None]
) -> list[list[StoredChunk] | None]:
    """Each input's chunks when every one of its vectors was ``found`` (one per span, inputs after
    each other), else ``None``; beyond 512 chunks merged as Elasticsearch does (as ``regroup``)."""
    answers: list[list[StoredChunk] | None] = []
    position = 0
    for text, spans in zip(texts, offsets, strict=True):
        if len(spans) == 1:  # a short document: one chunk, one vector
            value = found[position]
            position += 1
            (a, b) = spans[0]
            answers.append(None if value is None else [StoredChunk(start=a, end=b, text=text[a:b], packed=value)])
            continue
        packed = found[position : position + len(spans)]
        position += len(spans)
        if None in packed:
            answers.append(None)
            continue
        kept = cast(Sequence[bytes], packed)  # no None left
        if len(spans) > MAX_CHUNKS:
            spans, kept = _merged(spans, kept)
        answers.append(
            [StoredChunk(start=a, end=b, text=text[a:b], packed=p) for (a, b), p in zip(spans, kept, strict=True)]
        )
    return answers


def _merged(spans: Spans, packed: Sequence[bytes]) -> tuple[Spans, list[bytes]]:
    merged_spans, vectors = merge_chunks(spans, [unpack(p) for p in packed])
    return merged_spans, [pack(v) for v in vectors]
