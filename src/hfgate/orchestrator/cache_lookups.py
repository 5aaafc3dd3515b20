"""What the cached sparse vectors and rerank scores do as cached dense vectors do: the model a
request's entries are keyed by, the entries still to compute, and the counts of what was found."""

from __future__ import annotations

from collections.abc import Sequence

from hfgate.orchestrator.cached import CachedEmbeddings
from hfgate.registry.endpoint import Endpoint
from hfgate.services import Service
from hfgate.telemetry.metrics import EMBED_CACHE_BYTES, EMBED_CACHE_TEXTS
from hfgate.telemetry.request_scope import cache_wanted, count_cached


def cache_model(vectors: CachedEmbeddings, service: Service, endpoint: Endpoint) -> str | None:
    """``endpoint``'s model identity when this request goes through the cache (it is on, the endpoint's
    ``cache`` setting is ``on``, no ``?cache=false``), else ``None``."""
    if vectors.cache is None or not cache_wanted():
        return None
    return vectors.model_of(service, endpoint)


def first_of_each(keys: Sequence[str], found: Sequence[bytes | None]) -> list[tuple[int, str]]:
    """The entries to compute: the first place of each key the cache lacks (a repeat is computed once).

    Example:
        >>> first_of_each(["a", "b", "a", "c"], [None, b"x", None, None])
        [(0, 'a'), (3, 'c')]
    """
    seen: set[str] = set()
    missing = []
    for i, (key, value) in enumerate(zip(keys, found, strict=True)):
        if value is None and key not in seen:
            seen.add(key)
            missing.append((i, key))
    return missing


def count_lookups(endpoint: Endpoint, found: Sequence[bytes | None]) -> None:
    """Entries served from the cache are hits (``X-HFGate-Cache``, usage's cached texts, the metrics);
    the others (a repeat computed once too) misses."""
    hits = sum(1 for value in found if value is not None)
    misses = len(found) - hits
    count_cached(hits=hits, misses=misses)
    name = endpoint.inference_id
    if hits:
        EMBED_CACHE_TEXTS(name, "hit").inc(hits)
        EMBED_CACHE_BYTES(name).inc(sum(len(v) for v in found if v is not None))
    if misses:
        EMBED_CACHE_TEXTS(name, "miss").inc(misses)
