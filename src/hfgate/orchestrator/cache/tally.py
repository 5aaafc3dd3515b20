"""The counts of what the cache served: the request's ``X-HFGate-Cache`` and usage (``count_cached``)
and the ``hfgate_embed_cache_*`` metrics. Chunk spans are not counted: they are not what a request asked."""

from __future__ import annotations

from collections.abc import Sequence

from hfgate.registry.endpoint import Endpoint
from hfgate.telemetry.metrics import EMBED_CACHE_BYTES, EMBED_CACHE_TEXTS
from hfgate.telemetry.request_scope import count_cached


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
    """Count vectors a caller took from :meth:`~hfgate.orchestrator.cache.front.CacheFront.stored_chunks`
    as the cache's hits."""
    if packed:
        count_cached(hits=len(packed), misses=0)
        EMBED_CACHE_TEXTS(endpoint.inference_id, "hit").inc(len(packed))
        EMBED_CACHE_BYTES(endpoint.inference_id).inc(sum(map(len, packed)))
