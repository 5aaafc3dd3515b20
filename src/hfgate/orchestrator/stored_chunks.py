"""The chunks of an input the embedding cache holds entirely, with their vectors as the cache keeps
them (packed bytes): what ``embed-corpus`` writes to Parquet without unpacking a vector into Python
floats, and need not send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from hfgate.chunking import merge_chunks
from hfgate.chunking.merge import MAX_CHUNKS
from hfgate.embed_cache.vectors import pack, unpack

Spans = list[tuple[int, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredChunk:
    """A chunk of an input: its offsets (Python string indices), its text and its packed vector."""

    start: int
    end: int
    text: str
    packed: bytes


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
