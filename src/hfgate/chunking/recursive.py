"""The ``recursive`` strategy: Elasticsearch's ``RecursiveChunker``.

For each separator regex in turn: split where it matches (the separator opens the next piece),
merge neighbouring pieces while their word counts add up to at most ``max_chunk_size``, keep the
pieces that fit, and go on with the next separator inside those that do not. When the separators
run out, the sentence chunker (no overlap) finishes the piece.

Elasticsearch matches within a region of the whole text with Java's default opaque, anchoring bounds:
lookarounds do not see past the piece and ``^``/``$`` (MULTILINE) match at its ends. Matching on the
piece itself behaves the same way in Python.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import NamedTuple

from hfgate.chunking.icu_breaks import WordCounter, word_counter
from hfgate.chunking.sentence import sentence_chunks
from hfgate.chunking.settings import RecursiveSettings


class _Piece(NamedTuple):
    start: int
    end: int
    words: int


def _split_on(text: str, breaks: WordCounter, *, start: int, end: int, pattern: re.Pattern[str]) -> list[_Piece]:
    cuts = [start]
    for match in pattern.finditer(text[start:end]):
        cut = start + match.start()
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(end)
    return [_Piece(a, b, breaks.count_words(a, b)) for a, b in pairwise(cuts) if a < b]


def _merge_up_to(pieces: list[_Piece], max_words: int) -> list[_Piece]:
    # Elasticsearch adds the pieces' counts rather than recounting the merged span.
    if len(pieces) < 2:
        return pieces
    merged, current = [], pieces[0]
    for piece in pieces[1:]:
        if current.words + piece.words <= max_words:
            current = _Piece(current.start, piece.end, current.words + piece.words)
        else:
            merged.append(current)
            current = piece
    merged.append(current)
    return merged


class _Recursion(NamedTuple):
    text: str
    breaks: WordCounter
    patterns: list[re.Pattern[str]]
    max_words: int

    def chunk(self, start: int, end: int, *, level: int) -> list[tuple[int, int]]:
        if start == end or self.breaks.count_words(start, end) <= self.max_words:
            return [(start, end)]
        if level == len(self.patterns):
            return self._sentences(start, end)
        pieces = _merge_up_to(
            _split_on(self.text, self.breaks, start=start, end=end, pattern=self.patterns[level]), self.max_words
        )
        chunks: list[tuple[int, int]] = []
        for piece in pieces:
            if piece.words <= self.max_words:
                chunks.append((piece.start, piece.end))
            else:
                chunks.extend(self.chunk(piece.start, piece.end, level=level + 1))
        return chunks

    def _sentences(self, start: int, end: int) -> list[tuple[int, int]]:
        # Elasticsearch hands the backup chunker the substring, with its own ICU pass over it.
        inner = sentence_chunks(self.text[start:end], self.max_words, overlap=False)
        return [(start + a, start + b) for a, b in inner]


def chunk_recursively(text: str, settings: RecursiveSettings) -> list[tuple[int, int]]:
    """Chunk ``text`` with the ``recursive`` strategy.

    Example:
        >>> chunk_recursively("a b\\n\\nc d", RecursiveSettings(max_chunk_size=10))
        [(0, 8)]
    """
    patterns = [re.compile(separator, re.MULTILINE) for separator in settings.separators]
    with word_counter(text) as breaks:
        return _Recursion(text, breaks, patterns, settings.max_chunk_size).chunk(0, len(text), level=0)
