"""The fast chunkers give exactly the offsets of a line-by-line port of Elasticsearch's Java code."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hfgate.chunking import chunk
from hfgate.chunking.settings import SEPARATOR_GROUPS
from tests.chunking import es_reference
from tests.chunking.texts import any_text

_SETTINGS = settings(max_examples=150, deadline=None)


@_SETTINGS
@given(text=any_text, size=st.integers(10, 40), data=st.data())
def test_word_strategy_matches_elasticsearch(text: str, size: int, data: st.DataObject) -> None:
    overlap = data.draw(st.integers(1, size // 2))
    got = chunk(text, {"strategy": "word", "max_chunk_size": size, "overlap": overlap})
    assert got == es_reference.word_chunks(text, size, overlap)


@_SETTINGS
@given(text=any_text, size=st.integers(20, 45), sentence_overlap=st.sampled_from([0, 1]))
def test_sentence_strategy_matches_elasticsearch(text: str, size: int, sentence_overlap: int) -> None:
    settings_ = {"strategy": "sentence", "max_chunk_size": size, "sentence_overlap": sentence_overlap}
    assert chunk(text, settings_) == es_reference.sentence_chunks(text, size, sentence_overlap)


@_SETTINGS
@given(text=any_text, size=st.integers(10, 30), group=st.sampled_from(sorted(SEPARATOR_GROUPS)))
def test_recursive_strategy_matches_elasticsearch(text: str, size: int, group: str) -> None:
    got = chunk(text, {"strategy": "recursive", "max_chunk_size": size, "separator_group": group})
    assert got == es_reference.recursive_chunks(text, size, list(SEPARATOR_GROUPS[group]))


@_SETTINGS
@given(text=any_text, size=st.integers(10, 30))
def test_recursive_with_custom_separators_matches_elasticsearch(text: str, size: int) -> None:
    separators = [r"\n+", r"[.!?] ", ", "]
    got = chunk(text, {"strategy": "recursive", "max_chunk_size": size, "separators": separators})
    assert got == es_reference.recursive_chunks(text, size, separators)
