"""Which of a request's cache entries are still to compute (and the request for them), and the counts
of what the cache served: the request's ``X-HFGate-Cache`` and usage (``count_cached``) and the
``hfgate_embed_cache_*`` metrics. Shared by dense vectors (``cached.py``), sparse vectors and rerank
scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import EmbedRequest
from hfgate.telemetry.metrics import EMBED_CACHE_BYTES, EMBED_CACHE_TEXTS
from hfgate.telemetry.request_scope import count_cached


def first_of_each(keys: Sequence[str], found: Sequence[bytes | None]) -> list[tuple[int, str]]:
    """The entries to compute: the first place of each key the cache lacks (a repeat is computed once).

    Example:
        >>> first_of_each(["a", "b", "a", "c"], [None, b"x", None, None])
        [(0, 'a'), (3, 'c')]
    """
    if len(keys) == 1:  # most requests of the OpenAI and TEI faces: one text
        return [(0, keys[0])] if found[0] is None else []
    seen: set[str] = set()
    missing = []
    for i, (key, value) in enumerate(zip(keys, found, strict=True)):
        if value is None and key not in seen:
            seen.add(key)
            missing.append((i, key))
    return missing


def missing_texts(request: EmbedRequest, missing: Sequence[tuple[int, str]]) -> EmbedRequest:
    """``request`` with only the texts at ``missing``'s places (itself when every text is missing)."""
    if len(missing) == len(request.texts):
        return request
    return replace(request, texts=tuple(request.texts[i] for i, _ in missing))


def count_lookups(endpoint: Endpoint, found: list[bytes | None]) -> None:
    """Entries served from the cache are hits (``X-HFGate-Cache``, usage's cached texts, the metrics); the
    others (a repeat computed once too) misses."""
    misses = found.count(None)
    hits = len(found) - misses
    count_cached(hits=hits, misses=misses)
    name = endpoint.inference_id
    if hits:
        EMBED_CACHE_TEXTS(name, "hit").inc(hits)
        EMBED_CACHE_BYTES(name).inc(sum(len(v) for v in found if v is not None))
    if misses:
        EMBED_CACHE_TEXTS(name, "miss").inc(misses)


def count_served(endpoint: Endpoint, packed: Sequence[bytes]) -> None:
    """Count vectors a caller took from :meth:`CachedEmbeddings.peek_chunked` as the cache's hits."""
    if packed:
        count_cached(hits=len(packed), misses=0)
        EMBED_CACHE_TEXTS(endpoint.inference_id, "hit").inc(len(packed))
        EMBED_CACHE_BYTES(endpoint.inference_id).inc(sum(map(len, packed)))
