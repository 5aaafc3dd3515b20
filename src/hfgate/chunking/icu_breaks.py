"""ICU word and sentence boundaries (root locale), as Python code-point offsets.

ICU, like Java, counts UTF-16 code units: every character outside the Basic Multilingual Plane
(emoji, CJK extension B…) takes two. Offsets are mapped back to Python string indices here, and
only when the text has such a character; pure-BMP text, the common case, skips the mapping.

Walking boundaries from Python costs a C call per boundary, the bulk of a chunker's time, so each
text is walked once and what Elasticsearch recounts by re-walking the iterator is answered from flat
lists with binary searches. Break iterators are costly to create and hold their text, so each thread
keeps a small pool of them and borrows one per use (:func:`borrowed`).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from operator import sub
from typing import Any, Protocol

import icu

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_local = threading.local()


def _create(kind: str) -> Any:
    root = icu.Locale.getRoot()
    if kind == "word":
        return icu.BreakIterator.createWordInstance(root)
    return icu.BreakIterator.createSentenceInstance(root)


@contextmanager
def borrowed(kind: str) -> Iterator[Any]:
    """A ``"word"`` or ``"sentence"`` break iterator from this thread's pool, returned after use."""
    pool: list[Any] = _local.__dict__.setdefault(kind, [])
    iterator = pool.pop() if pool else _create(kind)
    try:
        yield iterator
    finally:
        pool.append(iterator)


def _utf16_starts_of_astral(text: str) -> list[int]:
    """UTF-16 offsets of the characters that need a surrogate pair; empty for BMP-only text."""
    if text.isascii():
        return []
    return [m.start() + k for k, m in enumerate(_ASTRAL.finditer(text))]


def _to_code_points(offsets: list[int], astral: list[int]) -> list[int]:
    # A boundary never falls inside a surrogate pair, so each astral character wholly before an
    # offset shifts it by exactly one.
    return [u - bisect_left(astral, u) for u in offsets] if astral else offsets


class WordCounter(Protocol):
    """Elasticsearch's two walks over the word iterator, answered for one text."""

    @property
    def ends(self) -> list[int]:
        """Offsets that close a word, ascending."""
        ...

    def preceding_many(self, starts: list[int]) -> list[int]:
        """``BreakIterator.preceding`` of each offset: the last boundary before it (0 for 0)."""
        ...

    def count_words(self, start: int, end: int) -> int:
        """Words counted by ``ChunkerUtils.countWords(start, end)`` (``start < end``).

        Elasticsearch starts from ``preceding(start)`` and counts every boundary whose status is a
        word, up to and including ``end``. A boundary carries the status of the segment before it,
        so a word ending at ``preceding(start)`` (two segments back) is counted too. Kept as is: it
        decides where Elasticsearch cuts.
        """
        ...

    def skip_words(self, start: int, count: int) -> int:
        """The offset ``SentenceBoundaryChunker.skipWords(start, count)`` returns.

        From ``preceding(start)``, walk boundaries until ``count`` word boundaries were seen and
        return the boundary after the last one; the end of the text if there are not enough.
        """
        ...


class _EndsCounter:
    """``count_words`` and ``skip_words``, the same for any source of boundaries.

    A subclass says how to find the boundary before an offset, the one after a word's end, and where
    the text ends.
    """

    __slots__ = ()
    ends: list[int]

    def _preceding(self, start: int) -> int:
        raise NotImplementedError

    def _following(self, offset: int) -> int:
        raise NotImplementedError

    def _text_end(self) -> int:
        raise NotImplementedError

    def count_words(self, start: int, end: int) -> int:
        """See :meth:`WordCounter.count_words`."""
        return bisect_right(self.ends, end) - bisect_left(self.ends, self._preceding(start))

    def skip_words(self, start: int, count: int) -> int:
        """See :meth:`WordCounter.skip_words`."""
        first = self._preceding(start)
        if count == 0:
            return first
        last_skipped = bisect_left(self.ends, first) + count - 1
        if last_skipped >= len(self.ends):
            return self._text_end()
        return self._following(self.ends[last_skipped])


@dataclass(frozen=True, slots=True)
class WordBreaks(_EndsCounter):
    """Every ICU word boundary of a text, and the ones that close a word; any text.

    Attributes:
        bounds: boundary offsets, ascending, from 0 to ``len(text)``.
        ends: the boundaries whose rule status is not "none" (spaces and punctuation are "none").
    """

    bounds: list[int]
    ends: list[int]

    def _preceding(self, start: int) -> int:
        return self.bounds[bisect_left(self.bounds, start) - 1] if start > 0 else 0

    def _following(self, offset: int) -> int:
        after = bisect_right(self.bounds, offset)
        return self.bounds[after] if after < len(self.bounds) else self.bounds[-1]

    def _text_end(self) -> int:
        return self.bounds[-1]

    def preceding_many(self, starts: list[int]) -> list[int]:
        """See :meth:`WordCounter.preceding_many`."""
        bounds = self.bounds
        return [bounds[i - 1] if i else 0 for i in map(bisect_left, repeat(bounds), starts)]


@dataclass(frozen=True, slots=True)
class _LiveWords(_EndsCounter):
    """Word ends of a BMP-only text, asking the live iterator for the rest (saves a full walk)."""

    iterator: Any
    ends: list[int]
    length: int

    def _preceding(self, start: int) -> int:
        return int(self.iterator.preceding(start)) if start > 0 else 0

    def _following(self, offset: int) -> int:
        after = int(self.iterator.following(offset))
        return self.length if after == icu.BreakIterator.DONE else after

    def _text_end(self) -> int:
        return self.length

    def preceding_many(self, starts: list[int]) -> list[int]:
        """See :meth:`WordCounter.preceding_many`."""
        preceding = self.iterator.preceding
        return [preceding(start) if start else 0 for start in starts]


def span_word_counts(counter: WordCounter, cuts: list[int]) -> list[int]:
    """``count_words`` of each span between consecutive ``cuts`` (from 0), in one sweep.

    Example:
        >>> with word_counter("One two. Three.") as counter:
        ...     span_word_counts(counter, [9, 15])
        [2, 1]
    """
    firsts = counter.preceding_many([0, *cuts[:-1]])
    ends = counter.ends
    # map() keeps the per-span work in C: this runs once per sentence of large inputs.
    return list(map(sub, map(bisect_right, repeat(ends), cuts), map(bisect_left, repeat(ends), firsts)))


def _walk_word_ends(iterator: Any, text: str) -> list[int]:
    iterator.setText(text)
    status = iterator.getRuleStatus
    return [b for b in iterator if status()]


def word_breaks(text: str) -> WordBreaks:
    """All word boundaries of ``text``, and those that close a word.

    Example:
        >>> word_breaks("Hi, you.")
        WordBreaks(bounds=[0, 2, 3, 4, 7, 8], ends=[2, 7])
    """
    with borrowed("word") as iterator:
        ends = _walk_word_ends(iterator, text)
        iterator.first()
        bounds = [0, *iterator]
    astral = _utf16_starts_of_astral(text)
    return WordBreaks(bounds=_to_code_points(bounds, astral), ends=_to_code_points(ends, astral))


@contextmanager
def word_counter(text: str) -> Iterator[WordCounter]:
    """A :class:`WordCounter` for ``text``, valid inside the ``with`` block.

    BMP-only text keeps a borrowed iterator on the text and walks it once; other text is mapped to
    code points up front (:func:`word_breaks`).
    """
    if _utf16_starts_of_astral(text):
        yield word_breaks(text)
        return
    with borrowed("word") as iterator:
        yield _LiveWords(iterator=iterator, ends=_walk_word_ends(iterator, text), length=len(text))


def word_ends(text: str) -> list[int]:
    """Offsets where each ICU word of ``text`` ends: all the word chunker needs.

    Example:
        >>> word_ends("Hi, you.")
        [2, 7]
    """
    with borrowed("word") as iterator:
        ends = _walk_word_ends(iterator, text)
    return _to_code_points(ends, _utf16_starts_of_astral(text))


def sentence_ends(text: str) -> list[int]:
    """Offsets where each ICU sentence of ``text`` ends (the last is ``len(text)``).

    Example:
        >>> sentence_ends("One. Two.")
        [5, 9]
    """
    with borrowed("sentence") as iterator:
        iterator.setText(text)
        ends = list(iterator)
    return _to_code_points(ends, _utf16_starts_of_astral(text))
