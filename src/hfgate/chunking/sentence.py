"""The ``sentence`` strategy: Elasticsearch's ``SentenceBoundaryChunker``, step for step.

Sentences (ICU, root locale) are packed greedily until the next one would push the chunk past
``max_chunk_size`` words. With ``sentence_overlap: 1`` each new chunk starts with the previous
sentence, cut down to its last ``min(max / 2, 20)`` words when both would not fit. A sentence (plus
its overlap) longer than the maximum is split by the word chunker with an overlap of
``min(20, (max - 1) / 2)`` words; its last, partial piece stays open for the following sentences.

Word counts are Elasticsearch's own (:meth:`WordCounter.count_words`), quirk included, so chunks end
where Elasticsearch ends them. All sentences are counted in one sweep before packing, since the loop
runs once per sentence of large inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from hfgate.chunking.icu_breaks import WordCounter, sentence_ends, span_word_counts, word_counter
from hfgate.chunking.settings import SentenceSettings
from hfgate.chunking.word import word_chunk_positions

_MAX_OVERLAP_WORDS = 20


@dataclass(slots=True)
class _Open:
    """The chunk being filled: where it starts and how many words Elasticsearch credits it with."""

    start: int
    words: int


def _reopen(breaks: WordCounter, max_words: int, *, previous: tuple[int, int], words: int) -> _Open:
    """With overlap, the chunk after one just closed: the previous sentence, then the current one.

    ``previous`` is the preceding sentence's (start, word count).
    """
    previous_start, previous_words = previous
    if previous_words + words > max_words:
        # Keep only the last min(max / 2, 20) words of the previous sentence.
        skip = max(0, previous_words - min(max_words // 2, _MAX_OVERLAP_WORDS))
        return _Open(breaks.skip_words(previous_start, skip), previous_words - skip + words)
    return _Open(previous_start, previous_words + words)


def _split_long(text: str, chunk: _Open, *, end: int, max_words: int, chunks: list[tuple[int, int]]) -> None:
    """Split ``text[chunk.start:end]`` on words; all but the last piece are closed chunks."""
    # Elasticsearch runs a fresh word iterator over the substring, so its boundaries are used.
    overlap = min(_MAX_OVERLAP_WORDS, (max_words - 1) // 2)
    pieces = word_chunk_positions(text[chunk.start : end], max_words, overlap=overlap)
    base = chunk.start
    chunks.extend((base + p.start, base + p.end) for p in pieces[:-1])
    chunk.start, chunk.words = base + pieces[-1].start, pieces[-1].words


def sentence_chunks(text: str, max_words: int, *, overlap: bool) -> list[tuple[int, int]]:
    """Chunk ``text`` on sentence boundaries into chunks of at most ``max_words`` words.

    Args:
        text: the text to chunk.
        max_words: the most words a chunk may hold.
        overlap: start each chunk with (the end of) the previous sentence.

    Example:
        >>> sentence_chunks("One two. Three four.", 20, overlap=True)
        [(0, 20)]
    """
    with word_counter(text) as breaks:
        return _pack(text, breaks, ends=sentence_ends(text), max_words=max_words, overlap=overlap)


def _pack(text: str, breaks: WordCounter, *, ends: list[int], max_words: int, overlap: bool) -> list[tuple[int, int]]:
    """The packing loop of ``SentenceBoundaryChunker.chunk``, over sentences ending at ``ends``."""
    chunks: list[tuple[int, int]] = []
    chunk = _Open(0, 0)
    start = chunk_end = 0
    previous = (0, 0)
    for end, words in zip(ends, span_word_counts(breaks, ends), strict=True):
        if chunk.words + words <= max_words:
            chunk.words += words
        else:
            if chunk.words == 0:
                chunk.words = words  # nothing to close: this sentence alone is over the maximum
            else:
                chunks.append((chunk.start, chunk_end))
                chunk = (
                    _reopen(breaks, max_words, previous=previous, words=words) if overlap else _Open(chunk_end, words)
                )
            if chunk.words > max_words:
                _split_long(text, chunk, end=end, max_words=max_words, chunks=chunks)
        if overlap:
            previous = (start, words)
        start = chunk_end = end
    if chunk.words > 0:
        chunks.append((chunk.start, len(text)))
    return chunks or [(0, len(text))]


def chunk_sentences(text: str, settings: SentenceSettings) -> list[tuple[int, int]]:
    """Chunk ``text`` with the ``sentence`` strategy."""
    return sentence_chunks(text, settings.max_chunk_size, overlap=settings.sentence_overlap > 0)
