"""``chunk``: the public entry point, the ``none`` strategy, and offsets as Python string indices."""

from __future__ import annotations

import pytest

from hfgate.chunking import (
    NoneSettings,
    WordSettings,
    chunk,
    parse_chunking_settings,
)
from hfgate.chunking.icu_breaks import sentence_ends, word_breaks, word_ends
from hfgate.errors import ChunkingSettingsError


def test_none_strategy_returns_the_whole_input_as_one_chunk() -> None:
    text = "One. Two. " * 1000
    assert chunk(text, {"strategy": "none"}) == [(0, len(text))]


@pytest.mark.parametrize("strategy", ["word", "sentence", "recursive", "none"])
def test_empty_input_is_one_empty_chunk_for_every_strategy(strategy: str) -> None:
    settings = {"word": {"max_chunk_size": 10, "overlap": 1}, "sentence": {"max_chunk_size": 20}}
    raw = {
        "strategy": strategy,
        **settings.get(strategy, {"max_chunk_size": 10} if strategy == "recursive" else {}),
    }
    assert chunk("", raw) == [(0, 0)]


def test_parsed_settings_are_accepted_as_they_are() -> None:
    text = "a b c d e f g h i j k l"
    assert chunk(text, WordSettings(max_chunk_size=10, overlap=2)) == chunk(
        text, {"strategy": "word", "max_chunk_size": 10, "overlap": 2}
    )
    assert chunk(text, NoneSettings()) == [(0, len(text))]


def test_invalid_settings_raise_before_any_chunking() -> None:
    with pytest.raises(ChunkingSettingsError, match="Invalid chunkingStrategy paragraph"):
        chunk("text", {"strategy": "paragraph"})


def test_parse_returns_typed_frozen_settings() -> None:
    parsed = parse_chunking_settings({"strategy": "word", "max_chunk_size": 10, "overlap": 3})
    assert parsed == WordSettings(max_chunk_size=10, overlap=3)
    with pytest.raises(AttributeError):
        parsed.overlap = 4  # type: ignore[misc]


def test_icu_offsets_are_mapped_from_utf16_units_to_code_points() -> None:
    text = "😀 ab 𠀀𠀁 cd. Ef 👍🏽 gh."
    breaks = word_breaks(text)
    assert breaks.bounds[-1] == len(text)
    assert [text[:e].split()[-1] for e in word_ends(text)] == ["ab", "𠀀", "𠀀𠀁", "cd", "Ef", "gh"]
    assert sentence_ends(text) == [len("😀 ab 𠀀𠀁 cd. "), len(text)]


def test_bmp_text_with_non_ascii_needs_no_mapping_and_keeps_offsets() -> None:
    text = "naïve café, déjà vu."
    assert [text[:e].split()[-1].strip(",.") for e in word_ends(text)] == ["naïve", "café", "déjà", "vu"]


def test_iterators_are_reused_across_calls_in_a_thread() -> None:
    from hfgate.chunking import icu_breaks

    word_ends("warm the pool")
    pool = icu_breaks._local.__dict__["word"]
    before = list(pool)
    word_ends("and again")
    assert pool == before
