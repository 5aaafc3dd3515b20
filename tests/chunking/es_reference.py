"""A line-by-line port of Elasticsearch's chunkers, to check hfgate's fast ones against.

It drives the ICU iterator the way the Java code does (``preceding``, ``next``, ``getRuleStatus``),
works in UTF-16 units like Java, and converts offsets to Python indices only at the very end, so it
also checks hfgate's UTF-16 mapping. Slow on purpose: nothing here is shared with the package.
Ported from ``x-pack/plugin/core/.../inference/chunking`` (Word/Sentence/RecursiveChunker).
"""

from __future__ import annotations

import re
from typing import Any

import icu

DONE = icu.BreakIterator.DONE


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _substring(text: str, start: int, end: int) -> str:
    return _utf16(text)[2 * start : 2 * end].decode("utf-16-le")


def _length(text: str) -> int:
    return len(_utf16(text)) // 2


def to_code_points(text: str, offsets: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """UTF-16 offsets (Java's) to Python string indices."""
    units = _utf16(text)
    return [(len(units[: 2 * a].decode("utf-16-le")), len(units[: 2 * b].decode("utf-16-le"))) for a, b in offsets]


def _words(text: str) -> Any:
    iterator = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
    iterator.setText(text)
    return iterator


def word_positions(text: str, size: int, overlap: int) -> list[tuple[int, int, int]]:
    """WordBoundaryChunker.chunkPositions, in UTF-16 units."""
    positions: list[tuple[int, int, int]] = []
    less_overlap = size - overlap
    count = next_window_start = window_start = since_mark = 0
    iterator = _words(text)
    boundary = iterator.nextBoundary()
    while boundary != DONE:
        if iterator.getRuleStatus() != 0:
            count += 1
            since_mark += 1
            if count >= size:
                positions.append((window_start, boundary, count))
                count = overlap
                if overlap == 0:
                    next_window_start = boundary
                window_start = next_window_start
            if since_mark == less_overlap:
                next_window_start = boundary
                since_mark = 0
        boundary = iterator.nextBoundary()
    if count > overlap or not positions:
        positions.append((window_start, _length(text), count))
    return positions


def count_words(start: int, end: int, iterator: Any) -> int:
    """ChunkerUtils.countWords."""
    iterator.preceding(start)
    boundary = iterator.current()
    count = 0
    while boundary != DONE and boundary <= end:
        if iterator.getRuleStatus() != 0:
            count += 1
        boundary = iterator.nextBoundary()
    return count


def skip_words(start: int, count: int, iterator: Any) -> int:
    """SentenceBoundaryChunker.skipWords."""
    iterator.preceding(start)
    boundary = iterator.current()
    seen = 0
    while boundary != DONE and seen < count:
        if iterator.getRuleStatus() != 0:
            seen += 1
        boundary = iterator.nextBoundary()
    return int(iterator.last()) if boundary == DONE else int(boundary)


def sentence_chunks16(text: str, max_words: int, include_preceding: bool) -> list[tuple[int, int]]:
    """SentenceBoundaryChunker.chunk, in UTF-16 units."""
    chunks: list[tuple[int, int]] = []
    sentences = icu.BreakIterator.createSentenceInstance(icu.Locale.getRoot())
    sentences.setText(text)
    words = _words(text)
    chunk_start = chunk_end = sentence_start = chunk_count = 0
    preceding_count = previous_start = 0
    boundary = sentences.nextBoundary()
    while boundary != DONE:
        sentence_end = sentences.current()
        in_sentence = count_words(sentence_start, sentence_end, words)
        if chunk_count + in_sentence > max_words:
            next_count = in_sentence
            if chunk_count > 0:
                chunks.append((chunk_start, chunk_end))
                if include_preceding:
                    if preceding_count + in_sentence > max_words:
                        max_overlap = min(max_words // 2, 20)
                        skip = preceding_count - max_overlap if preceding_count > max_overlap else 0
                        chunk_start = skip_words(previous_start, skip, _words(text))
                        chunk_count = preceding_count - skip + in_sentence
                    else:
                        chunk_count = preceding_count + in_sentence
                        chunk_start = previous_start
                    next_count = chunk_count
                else:
                    chunk_start = chunk_end
                    chunk_count = in_sentence
            if next_count > max_words:
                splits = word_positions(
                    _substring(text, chunk_start, sentence_end), max_words, min(20, (max_words - 1) // 2)
                )
                for start, end, _ in splits[:-1]:
                    chunks.append((chunk_start + start, chunk_start + end))
                chunk_start += splits[-1][0]
                chunk_count = splits[-1][2]
        else:
            chunk_count += in_sentence
        if include_preceding:
            previous_start = sentence_start
            preceding_count = in_sentence
        sentence_start = sentence_end
        chunk_end = sentence_end
        boundary = sentences.nextBoundary()
    if chunk_count > 0:
        chunks.append((chunk_start, _length(text)))
    if not chunks:
        chunks.append((0, _length(text)))
    return chunks


def word_chunks(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    """The word strategy, in Python indices."""
    return to_code_points(text, [(a, b) for a, b, _ in word_positions(text, size, overlap)])


def sentence_chunks(text: str, max_words: int, sentence_overlap: int) -> list[tuple[int, int]]:
    """The sentence strategy, in Python indices."""
    return to_code_points(text, sentence_chunks16(text, max_words, sentence_overlap > 0))


def recursive_chunks(text: str, max_words: int, separators: list[str]) -> list[tuple[int, int]]:
    """RecursiveChunker.chunk, in Python indices."""
    iterator = _words(text)

    def counted(start: int, end: int) -> int:
        # Elasticsearch calls setText before every count, which also resets ICU's boundary cache;
        # without that, preceding(0) leaves the iterator "done" and the count comes out 0.
        iterator.setText(text)
        return count_words(start, end, iterator)

    def split(start: int, end: int, separator: str) -> list[tuple[int, int, int]]:
        region = _substring(text, start, end)
        pieces, chunk_start = [], start
        for match in re.compile(separator, re.MULTILINE).finditer(region):
            chunk_end = start + _length(region[: match.start()])
            if chunk_start < chunk_end:
                pieces.append((chunk_start, chunk_end, counted(chunk_start, chunk_end)))
            chunk_start = chunk_end
        if chunk_start < end:
            pieces.append((chunk_start, end, counted(chunk_start, end)))
        return pieces

    def merge(pieces: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        if len(pieces) < 2:
            return pieces
        merged, current = [], pieces[0]
        for i in range(1, len(pieces)):
            candidate = (current[0], pieces[i][1], current[2] + pieces[i][2])
            if candidate[2] <= max_words:
                current = candidate
            else:
                merged.append(current)
                current = pieces[i]
            if i == len(pieces) - 1:
                merged.append(current)
        return merged

    def chunk(start: int, end: int, index: int) -> list[tuple[int, int]]:
        if start == end or counted(start, end) <= max_words:
            return [(start, end)]
        if index > len(separators) - 1:
            inner = sentence_chunks16(_substring(text, start, end), max_words, False)
            return [(start + a, start + b) for a, b in inner]
        out: list[tuple[int, int]] = []
        for a, b, n in merge(split(start, end, separators[index])):
            out.extend([(a, b)] if n <= max_words else chunk(a, b, index + 1))
        return out

    return to_code_points(text, chunk(0, _length(text), 0))
