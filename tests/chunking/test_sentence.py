"""The ``sentence`` strategy: greedy packing of ICU sentences, with Elasticsearch's edge cases."""

from __future__ import annotations

from hfgate.chunking import chunk


def _sentence(k: int, words: int) -> str:
    # ICU starts a new sentence after ". " only before a capital letter.
    return " ".join(f"{'S' if i == 1 else 's'}{k}w{i}" for i in range(1, words + 1)) + ". "


def _texts(text: str, settings: dict[str, object]) -> list[str]:
    return [text[a:b] for a, b in chunk(text, settings)]


def _settings(max_words: int, overlap: int = 1) -> dict[str, object]:
    return {"strategy": "sentence", "max_chunk_size": max_words, "sentence_overlap": overlap}


def test_sentences_are_packed_greedily_up_to_the_maximum() -> None:
    sentences = [_sentence(k, 5) for k in range(1, 7)]
    text = "".join(sentences)
    assert _texts(text, _settings(20, overlap=0)) == ["".join(sentences[:4]), "".join(sentences[4:])]


def test_with_overlap_each_chunk_starts_with_the_previous_sentence() -> None:
    sentences = [_sentence(k, 5) for k in range(1, 7)]
    text = "".join(sentences)
    assert _texts(text, _settings(20)) == ["".join(sentences[:4]), "".join(sentences[3:])]


def test_previous_sentence_is_trimmed_to_half_the_maximum_when_both_do_not_fit() -> None:
    text = _sentence(1, 20) + _sentence(2, 12)
    second = _texts(text, _settings(30))[1]
    # min(30 / 2, 20) = 15 words of the first sentence are kept: it starts at its sixth word.
    assert second == " ".join(f"s1w{i}" for i in range(6, 21)) + ". " + _sentence(2, 12)


def test_previous_sentence_overlap_is_capped_at_twenty_words() -> None:
    text = _sentence(1, 30) + _sentence(2, 40)
    second = _texts(text, _settings(60))[1]
    assert second.startswith("s1w11 ")


def test_previous_sentence_is_kept_whole_when_both_fit() -> None:
    text = _sentence(1, 10) + _sentence(2, 15) + _sentence(3, 10)
    assert _texts(text, _settings(30))[1] == _sentence(2, 15) + _sentence(3, 10)


def test_a_sentence_longer_than_the_maximum_is_split_by_the_word_chunker() -> None:
    text = _sentence(1, 50).rstrip()
    texts = _texts(text, _settings(20))
    # Word windows of 20 with overlap min(20, (20 - 1) / 2) = 9; the last, partial one stays open.
    assert [t.split()[0] for t in texts] == ["S1w1", "s1w12", "s1w23", "s1w34"]
    assert [len(t.split()) for t in texts] == [20, 20, 20, 17]


def test_the_open_piece_of_a_long_sentence_takes_the_next_sentences() -> None:
    text = _sentence(1, 25) + _sentence(2, 3)
    texts = _texts(text, _settings(20, overlap=0))
    assert texts[-1].endswith(_sentence(2, 3))
    assert texts[-1].startswith(" s1w")


def test_empty_text_is_one_empty_chunk() -> None:
    assert chunk("", _settings(20)) == [(0, 0)]


def test_default_settings_are_sentence_250_with_overlap() -> None:
    text = "".join(_sentence(k, 100) for k in range(1, 4))
    assert chunk(text, None) == chunk(text, _settings(250))
