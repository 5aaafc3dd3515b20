"""Invariants of every strategy over arbitrary Unicode (emoji, CJK, combining marks, controls…)."""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st

from hfgate.chunking import chunk
from hfgate.chunking.icu_breaks import word_breaks
from tests.chunking.texts import any_text

_SETTINGS = settings(max_examples=120, deadline=None)


@st.composite
def chunking_settings(draw: st.DrawFn) -> dict[str, object]:
    strategy = draw(st.sampled_from(["word", "sentence", "recursive"]))
    if strategy == "word":
        size = draw(st.integers(10, 30))
        return {"strategy": "word", "max_chunk_size": size, "overlap": draw(st.integers(1, size // 2))}
    if strategy == "sentence":
        overlap = draw(st.sampled_from([0, 1]))
        return {
            "strategy": "sentence",
            "max_chunk_size": draw(st.integers(20, 40)),
            "sentence_overlap": overlap,
        }
    group = draw(st.sampled_from(["plaintext", "markdown"]))
    return {"strategy": "recursive", "max_chunk_size": draw(st.integers(10, 30)), "separator_group": group}


def _words(text: str) -> list[tuple[int, int]]:
    """(start, end) of every ICU word of the whole text."""
    breaks = word_breaks(text)
    return [(breaks.bounds[bisect_left(breaks.bounds, end) - 1], end) for end in breaks.ends]


def _inside(words: list[tuple[int, int]], start: int, end: int) -> int:
    starts = [a for a, _ in words]
    first = bisect_left(starts, start)
    return sum(1 for a, b in words[first : bisect_right(starts, end)] if b <= end)


@_SETTINGS
@given(text=any_text, raw=chunking_settings())
def test_chunks_are_non_empty_ordered_and_inside_the_text(text: str, raw: dict[str, object]) -> None:
    chunks = chunk(text, raw)
    assert chunks
    assert all(0 <= a < b <= len(text) for a, b in chunks) or text == ""
    assert [a for a, _ in chunks] == sorted(a for a, _ in chunks)
    assert [b for _, b in chunks] == sorted(b for _, b in chunks)


@_SETTINGS
@given(text=any_text, raw=chunking_settings())
def test_every_word_is_inside_some_chunk(text: str, raw: dict[str, object]) -> None:
    chunks = chunk(text, raw)
    for a, b in _words(text):
        assert any(start <= a and b <= end for start, end in chunks), (a, b, text[a:b])


@_SETTINGS
@given(text=any_text, raw=chunking_settings())
def test_no_chunk_holds_more_than_max_chunk_size_words(text: str, raw: dict[str, object]) -> None:
    words = _words(text)
    for start, end in chunk(text, raw):
        assert _inside(words, start, end) <= int(raw["max_chunk_size"])  # type: ignore[call-overload]


@_SETTINGS
@given(text=any_text, size=st.integers(10, 30), data=st.data())
def test_word_chunks_share_exactly_overlap_words_with_the_next(text: str, size: int, data: st.DataObject) -> None:
    overlap = data.draw(st.integers(1, size // 2))
    chunks = chunk(text, {"strategy": "word", "max_chunk_size": size, "overlap": overlap})
    words = _words(text)
    for (_, end), (next_start, _) in itertools.pairwise(chunks):
        assert _inside(words, next_start, end) == overlap


@_SETTINGS
@given(text=any_text, size=st.integers(20, 40))
def test_without_sentence_overlap_chunks_share_words_only_inside_split_sentences(text: str, size: int) -> None:
    chunks = chunk(text, {"strategy": "sentence", "max_chunk_size": size, "sentence_overlap": 0})
    words = _words(text)
    for (_, end), (next_start, _) in itertools.pairwise(chunks):
        assert _inside(words, next_start, end) <= min(20, (size - 1) // 2)
