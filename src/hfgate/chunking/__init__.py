"""Split inputs into chunks as Elasticsearch's inference chunkers do: word, sentence, recursive, none.

Public API:

- :func:`chunk` — ``(start, end)`` offsets (Python string indices) of each chunk of a text.
- :func:`validate_chunking_settings` — check a ``chunking_settings`` map and fill in its defaults;
  invalid maps raise :class:`hfgate.errors.ChunkingSettingsError` with Elasticsearch's message.
- :func:`merge_chunks` — beyond 512 chunks per input, merge neighbours and average their vectors.
- :data:`DEFAULT_CHUNKING_SETTINGS` — sentence, 250 words, ``sentence_overlap`` 1.

See ``docs/chunking.md`` for the rules of each strategy.
"""

from hfgate.chunking.chunker import chunk
from hfgate.chunking.merge import MAX_CHUNKS, merge_chunks
from hfgate.chunking.settings import (
    DEFAULT_CHUNKING_SETTINGS,
    ChunkingSettings,
    NoneSettings,
    RecursiveSettings,
    SentenceSettings,
    WordSettings,
    parse_chunking_settings,
    validate_chunking_settings,
)

__all__ = [
    "DEFAULT_CHUNKING_SETTINGS",
    "MAX_CHUNKS",
    "ChunkingSettings",
    "NoneSettings",
    "RecursiveSettings",
    "SentenceSettings",
    "WordSettings",
    "chunk",
    "merge_chunks",
    "parse_chunking_settings",
    "validate_chunking_settings",
]
