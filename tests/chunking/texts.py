"""Hypothesis strategies for texts that exercise chunkers: many short words, sentences, lines."""

from __future__ import annotations

from hypothesis import strategies as st

_WORDS = [
    "a",
    "word",
    "don't",
    "3.14",
    "e.g",
    "naïve",
    "日本語",
    "テキスト",
    "ไทย",
    "😀",
    "👍🏽x",
    "𠀀𠀁",
    "_id",
]
_GLUE = [" ", "  ", "\n", "\n\n", "\n\n\n", ". ", "! ", "? ", "。", ", ", " - ", "\t", "...", "\n# ", "\n-\n"]

token = st.one_of(st.sampled_from(_WORDS), st.text(min_size=1, max_size=4))
glue = st.one_of(st.sampled_from(_GLUE), st.text(max_size=2))


@st.composite
def prose(draw: st.DrawFn, max_tokens: int = 120) -> str:
    """Text of words and separators, with arbitrary Unicode mixed in."""
    tokens = draw(st.lists(st.tuples(token, glue), max_size=max_tokens))
    return "".join(word + sep for word, sep in tokens)


any_text = st.one_of(prose(), st.text(max_size=200))
