"""The ``recursive`` strategy: separators in turn, neighbours merged, sentences as the last resort."""

from __future__ import annotations

from hfgate.chunking import chunk


def _paragraph(k: int, words: int) -> str:
    return " ".join(f"p{k}w{i}" for i in range(1, words + 1))


def _texts(text: str, settings: dict[str, object]) -> list[str]:
    return [text[a:b] for a, b in chunk(text, settings)]


def _plaintext(max_words: int) -> dict[str, object]:
    return {"strategy": "recursive", "max_chunk_size": max_words, "separator_group": "plaintext"}


def test_text_within_the_maximum_is_one_chunk() -> None:
    assert chunk("a b\n\nc d", _plaintext(10)) == [(0, 8)]


def test_paragraphs_split_with_the_separator_opening_the_next_chunk() -> None:
    text = "\n\n".join(_paragraph(k, 8) for k in range(1, 4))
    assert _texts(text, _plaintext(10)) == [
        _paragraph(1, 8),
        "\n\n" + _paragraph(2, 8),
        "\n\n" + _paragraph(3, 8),
    ]


def test_neighbouring_pieces_are_merged_up_to_the_maximum() -> None:
    text = "\n\n".join(_paragraph(k, 8) for k in range(1, 4))
    # Elasticsearch also counts the word just before a piece, so pieces 2 and 3 weigh 9 words.
    assert _texts(text, _plaintext(20)) == [
        _paragraph(1, 8) + "\n\n" + _paragraph(2, 8),
        "\n\n" + _paragraph(3, 8),
    ]


def test_lines_are_tried_after_paragraphs() -> None:
    text = _paragraph(1, 8) + "\n" + _paragraph(2, 8) + "\n\n" + _paragraph(3, 4)
    assert _texts(text, _plaintext(10)) == [
        _paragraph(1, 8),
        "\n" + _paragraph(2, 8),
        "\n\n" + _paragraph(3, 4),
    ]


def test_sentences_without_overlap_finish_a_piece_when_separators_run_out() -> None:
    sentences = [f"S{k} " + " ".join(["word"] * 7) + ". " for k in range(1, 4)]
    assert _texts("".join(sentences), _plaintext(10)) == sentences


def test_markdown_headings_start_new_chunks() -> None:
    text = "# Title\n" + _paragraph(1, 8) + "\n## Part\n" + _paragraph(2, 8)
    settings = {"strategy": "recursive", "max_chunk_size": 12, "separator_group": "markdown"}
    assert _texts(text, settings) == ["# Title\n" + _paragraph(1, 8), "\n## Part\n" + _paragraph(2, 8)]


def test_custom_separator_regexes_are_applied_in_order() -> None:
    text = "; ".join(_paragraph(k, 6) for k in range(1, 4))
    settings = {"strategy": "recursive", "max_chunk_size": 10, "separators": ["; "]}
    assert _texts(text, settings) == [_paragraph(1, 6), "; " + _paragraph(2, 6), "; " + _paragraph(3, 6)]


def test_stored_settings_list_the_default_plaintext_separators() -> None:
    from hfgate.chunking import validate_chunking_settings

    stored = validate_chunking_settings({"strategy": "recursive", "max_chunk_size": 10})
    assert stored["separators"] == [r"(?<!\n)\n\n(?!\n)", r"(?<!\n)\n(?!\n)"]
