"""The ``word`` strategy: Elasticsearch's fixed windows of words."""

from __future__ import annotations

from hfgate.chunking import chunk


def _words(n: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{i}" for i in range(1, n + 1))


def _texts(text: str, settings: dict[str, object]) -> list[str]:
    return [text[a:b] for a, b in chunk(text, settings)]


WORD_10_5 = {"strategy": "word", "max_chunk_size": 10, "overlap": 5}


def test_windows_of_max_words_start_overlap_words_back_with_separators_leading() -> None:
    text = _words(15)
    assert _texts(text, WORD_10_5) == [_words(10), " " + " ".join(f"w{i}" for i in range(6, 16))]


def test_last_partial_chunk_with_only_overlap_words_is_dropped() -> None:
    # After the second window, words 11-15 remain: exactly the overlap, so no third chunk.
    assert len(chunk(_words(15), WORD_10_5)) == 2


def test_last_partial_chunk_with_more_than_overlap_words_is_kept() -> None:
    text = _words(16)
    assert _texts(text, WORD_10_5)[-1] == " " + " ".join(f"w{i}" for i in range(11, 17))


def test_trailing_punctuation_after_the_last_full_window_is_dropped_like_elasticsearch() -> None:
    text = _words(15) + "."
    assert chunk(text, WORD_10_5)[-1][1] == len(text) - 1


def test_text_shorter_than_the_window_is_one_chunk() -> None:
    assert chunk("just three words", WORD_10_5) == [(0, 16)]


def test_text_without_words_is_one_chunk() -> None:
    assert chunk(" ... !!", WORD_10_5) == [(0, 7)]


def test_with_overlap_one_each_window_starts_on_the_last_word_of_the_previous() -> None:
    text = _words(21)
    chunks = chunk(text, {"strategy": "word", "max_chunk_size": 10, "overlap": 1})
    assert [text[a:b].split() for a, b in chunks] == [
        [f"w{i}" for i in range(1, 11)],
        [f"w{i}" for i in range(10, 20)],
        [f"w{i}" for i in range(19, 22)],
    ]


def test_words_outside_the_basic_multilingual_plane_get_python_offsets() -> None:
    # "𠀀" (CJK extension B) is a word and takes two UTF-16 units; offsets must still slice Python str.
    text = "𠀀 😀 𠀀 " + _words(12)
    texts = _texts(text, {"strategy": "word", "max_chunk_size": 10, "overlap": 2})
    assert texts[0] == "𠀀 😀 𠀀 " + _words(8)
    assert texts[1].split() == [f"w{i}" for i in range(7, 13)]
