"""The ``cache`` setting every embedding service declares: whether its vectors (dense or sparse) and
rerank scores go through the cache.

Why here, not with the cache: it is an endpoint's service setting like any other (a :class:`SettingSpec`
the services list, checked and shown by the same code as their other settings), and the services that
declare it sit below the orchestrator, so the read-through (``hfgate.orchestrator.cache``) reads it
from here; the storage package (``hfgate.embed_cache``) never looks at an endpoint."""

from __future__ import annotations

from hfgate.registry.endpoint import Endpoint
from hfgate.services.spec import SettingSpec
from hfgate.tasks import TaskType

CACHED = frozenset({TaskType.TEXT_EMBEDDING, TaskType.SPARSE_EMBEDDING, TaskType.RERANK})
CACHE_SETTING = SettingSpec(
    name="cache",
    choices=("on", "off"),
    updatable=True,
    task_types=CACHED,
    label="Embedding cache",
    description="on (the default): each text's vector (a rerank: each query and document's score) is kept and "
    "served again while the model is the same; "
    "off: every text is computed. A request may skip the cache with ?cache=false.",
)


def caches(endpoint: Endpoint) -> bool:
    """Whether ``endpoint``'s vectors or scores go through the embedding cache (``cache`` is ``on`` when absent)."""
    return endpoint.task_type in CACHED and endpoint.service_settings.get("cache", "on") != "off"
