"""Whether an endpoint's chunks may run past its model's context window.

``max_chunk_size`` counts words; a model's window counts tokens. English text averages about 1.3
WordPiece/BPE tokens a word (the figure Elasticsearch's chunking docs use for ELSER's 512 tokens and
the default 250 words), so a chunk of ``n`` words may hold ``1.3 n`` tokens. A server truncates what is
past its window, so such a chunk's tail is not embedded: worth a warning at create, not a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hfgate.chunking.settings import NoneSettings, parse_chunking_settings

TOKENS_PER_WORD: Final = 1.3


def window_warning(chunking: Mapping[str, object] | None, *, window: int | None) -> str | None:
    """A warning when chunks of ``chunking`` may hold more tokens than ``window``, else ``None``.

    Example:
        >>> window_warning({"strategy": "sentence", "max_chunk_size": 250}, window=256)[:40]
        'chunks of up to [250] words (~325 tokens'
        >>> window_warning({"strategy": "word", "max_chunk_size": 150, "overlap": 50}, window=256) is None
        True
    """
    settings = parse_chunking_settings(chunking)
    if window is None or isinstance(settings, NoneSettings):
        return None
    words = settings.max_chunk_size
    tokens = round(words * TOKENS_PER_WORD)
    if tokens <= window:
        return None
    fits = int(window / TOKENS_PER_WORD)
    return (
        f"chunks of up to [{words}] words (~{tokens} tokens) exceed the model's context window of [{window}] "
        f"tokens, so the server truncates their tails; set [chunking_settings.max_chunk_size] to {fits} or less"
    )
