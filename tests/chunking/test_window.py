"""The warning at create when chunks may run past the model's context window."""

from __future__ import annotations

import pytest

from hfgate.chunking.window import window_warning


def test_the_default_chunks_of_250_words_exceed_minilms_256_tokens_and_name_the_fix() -> None:
    said = window_warning({"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1}, window=256)
    assert said is not None
    assert "[250] words" in said
    assert "[256] tokens" in said
    assert "set [chunking_settings.max_chunk_size] to 196 or less" in said


@pytest.mark.parametrize(
    "chunking",
    [
        {"strategy": "word", "max_chunk_size": 196, "overlap": 50},
        {"strategy": "none"},
    ],
)
def test_chunks_that_fit_or_no_chunking_give_no_warning(chunking: dict[str, object]) -> None:
    assert window_warning(chunking, window=256) is None


def test_an_unknown_window_gives_no_warning() -> None:
    assert window_warning({"strategy": "sentence", "max_chunk_size": 250}, window=None) is None
