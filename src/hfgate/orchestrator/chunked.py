"""Chunked embeddings: split each input with the endpoint's chunking settings, embed every chunk of
every input in one service call (the service batches it), and give each input its chunks back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from hfgate.chunking import DEFAULT_CHUNKING_SETTINGS, chunk, merge_chunks
from hfgate.chunking.merge import MAX_CHUNKS
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import EmbedRequest, Usage


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedChunk:
    """A chunk of an input: its offsets (Python string indices), its text and its vector."""

    start: int
    end: int
    text: str
    embedding: list[float]


ChunkedInput = list[EmbeddedChunk]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkedEmbeddings:
    """Per input, its chunks in order."""

    inputs: list[list[EmbeddedChunk]]
    usage: Usage = field(default_factory=Usage)


def split_inputs(endpoint: Endpoint, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Each input's chunk offsets, by the endpoint's chunking settings."""
    settings = endpoint.chunking_settings or DEFAULT_CHUNKING_SETTINGS
    return [chunk(text, settings) or [(0, len(text))] for text in texts]


def chunk_request(request: EmbedRequest, texts: Sequence[str], *, offsets: list[list[tuple[int, int]]]) -> EmbedRequest:
    """One request embedding every chunk of every input."""
    pieces = tuple(text[a:b] for text, spans in zip(texts, offsets, strict=True) for a, b in spans)
    return replace(request, texts=pieces)


def regroup(
    texts: Sequence[str], offsets: list[list[tuple[int, int]]], *, vectors: Sequence[list[float]], usage: Usage
) -> ChunkedEmbeddings:
    """Give each input its chunks back, merging beyond 512 chunks as Elasticsearch does."""
    grouped: list[list[EmbeddedChunk]] = []
    position = 0
    for text, spans in zip(texts, offsets, strict=True):
        mine = vectors[position : position + len(spans)]
        # merging only applies beyond MAX_CHUNKS; below it, skip its copy of every vector
        merged_spans, merged_vectors = merge_chunks(spans, mine) if len(spans) > MAX_CHUNKS else (spans, mine)
        position += len(spans)
        grouped.append(
            [
                EmbeddedChunk(start=a, end=b, text=text[a:b], embedding=v)
                for (a, b), v in zip(merged_spans, merged_vectors, strict=True)
            ]
        )
    return ChunkedEmbeddings(inputs=grouped, usage=usage)
