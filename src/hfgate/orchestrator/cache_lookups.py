"""The model a cached sparse vector's or rerank score's entries are keyed by, as for dense vectors."""

from __future__ import annotations

from hfgate.orchestrator.cached import CachedEmbeddings
from hfgate.registry.endpoint import Endpoint
from hfgate.services import Service
from hfgate.telemetry.request_scope import cache_wanted


def cache_model(vectors: CachedEmbeddings, service: Service, endpoint: Endpoint) -> str | None:
    """``endpoint``'s model identity when this request goes through the cache (it is on, the endpoint's
    ``cache`` setting is ``on``, no ``?cache=false``), else ``None``."""
    if vectors.cache is None or not cache_wanted():
        return None
    return vectors.model_of(service, endpoint)
