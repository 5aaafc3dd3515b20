"""The ``word`` strategy: fixed windows of words, Elasticsearch's ``WordBoundaryChunker``.

Elasticsearch walks the word iterator once, emitting a chunk each time ``max_chunk_size`` words have
been seen and starting the next one ``overlap`` words back. The windows therefore fall at fixed word
indices, computed here directly from the list of word ends:

- chunk ``k`` ends where word ``size + k·stride`` ends (``stride = size - overlap``, words counted
  from 1) and starts where word ``k·stride`` ends (0 for the first chunk), so separators and
  punctuation go at the start of the next chunk, never at the end of one;
- the last, partial window runs to the end of the text and is kept only if it has a word beyond the
  overlap, or if it is the only chunk.
"""

from __future__ import annotations

from typing import NamedTuple

from hfgate.chunking.icu_breaks import word_ends
from hfgate.chunking.settings import WordSettings


class ChunkPosition(NamedTuple):
    """A chunk's offsets and the number of words Elasticsearch credits it with."""

    start: int
    end: int
    words: int


def word_chunk_positions(text: str, size: int, *, overlap: int) -> list[ChunkPosition]:
    """Windows of ``size`` words starting ``size - overlap`` words apart, with their word counts.

    Args:
        text: the text to chunk.
        size: words per chunk (at least 1).
        overlap: words shared with the previous chunk, ``0 <= overlap <= size // 2``.

    Example:
        >>> [tuple(p) for p in word_chunk_positions("a b c d e", 2, 0)]
        [(0, 3, 2), (3, 7, 2), (7, 9, 1)]
    """
    ends = word_ends(text)
    stride = size - overlap
    full = 0 if len(ends) < size else (len(ends) - size) // stride + 1
    # ends[i - 1] is where word i ends; chunk k starts after word k·stride.
    starts = [0, *(ends[k * stride - 1] for k in range(1, full + 1))]
    chunks = [ChunkPosition(starts[k], ends[size + k * stride - 1], size) for k in range(full)]
    counted = size + (full - 1) * stride if full else 0
    if len(ends) > counted or not chunks:
        tail_words = len(ends) - counted + (overlap if full else 0)
        chunks.append(ChunkPosition(starts[full], len(text), tail_words))
    return chunks


def chunk_words(text: str, settings: WordSettings) -> list[tuple[int, int]]:
    """Chunk ``text`` with the ``word`` strategy.

    Example:
        >>> chunk_words("one two three", WordSettings(max_chunk_size=10, overlap=5))
        [(0, 13)]
    """
    positions = word_chunk_positions(text, settings.max_chunk_size, overlap=settings.overlap)
    return [(p.start, p.end) for p in positions]
