"""``chunk``: pick the strategy for a settings map and return the chunks' offsets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from hfgate.chunking.recursive import chunk_recursively
from hfgate.chunking.sentence import chunk_sentences
from hfgate.chunking.settings import (
    ChunkingSettings,
    NoneSettings,
    RecursiveSettings,
    SentenceSettings,
    WordSettings,
    parse_chunking_settings,
)
from hfgate.chunking.word import chunk_words


def _whole(text: str, settings: NoneSettings) -> list[tuple[int, int]]:
    return [(0, len(text))]


_CHUNKERS: Final[dict[type[Any], Callable[[str, Any], list[tuple[int, int]]]]] = {
    WordSettings: chunk_words,
    SentenceSettings: chunk_sentences,
    RecursiveSettings: chunk_recursively,
    NoneSettings: _whole,
}


def chunk(text: str, settings: Mapping[str, object] | ChunkingSettings | None) -> list[tuple[int, int]]:
    """Split ``text`` into chunks the way Elasticsearch's chunker for ``settings`` does.

    Args:
        text: the input to chunk.
        settings: a ``chunking_settings`` map (``{"strategy": "word" | "sentence" | "recursive" |
            "none", …}``), settings parsed by :func:`parse_chunking_settings`, or ``None`` for the
            default (sentence, 250 words, overlap 1).

    Returns:
        ``(start, end)`` of each chunk, in order, as Python string indices (code points, not UTF-16
        units): ``text[start:end]`` is the chunk. Empty text gives ``[(0, 0)]``.

    Raises:
        ChunkingSettingsError: ``settings`` are invalid; the reason is Elasticsearch's message.

    Example:
        >>> chunk("One two. Three four.", {"strategy": "word", "max_chunk_size": 10, "overlap": 2})
        [(0, 20)]
    """
    parsed = parse_chunking_settings(settings)
    return _CHUNKERS[type(parsed)](text, parsed)
