"""A remote model's identity for the embedding cache: everything in the settings that changes the
vectors — where it is served (url, replicas or model id and provider, as chosen at create), what serves
it and under which name (as detected), and how inputs are cut."""

from __future__ import annotations

import json

from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import TaskType

# What each cached task type's results are called in the identity: a dense, a sparse and a rerank
# endpoint on one url are three models to the cache (three key spaces, each removed on its own).
_CACHED = {TaskType.TEXT_EMBEDDING: "hf", TaskType.SPARSE_EMBEDDING: "hf-sparse", TaskType.RERANK: "hf-rerank"}


def vector_model_of(settings: HfSettings, task_type: TaskType) -> str | None:
    """The cache's identity of an endpoint's model (:attr:`hfgate.services.base.Model.vector_model`);
    ``None`` for the task types whose answers are not cached."""
    kind = _CACHED.get(task_type)
    return None if kind is None else vector_model(settings, kind=kind)


def vector_model(settings: HfSettings, *, kind: str = "hf") -> str:
    """``kind|`` and the settings that change the vectors, as sorted JSON; ``kind`` tells dense vectors
    (``hf``) from the sparse vectors and rerank scores of the same server, which never share entries.

    Example:
        >>> vector_model(HfSettings.of({"url": "http://tei:80", "engine": "tei"}))[:30]
        'hf|{"context_window": null, "e'
    """
    parts = {
        "urls": sorted(settings.urls) or ([settings.url] if settings.url else []),
        "model_id": settings.model_id,
        "provider": settings.provider,
        "served_by": settings.served_by,
        "provider_model": settings.provider_model,
        "engine": settings.engine,
        "model_name": settings.model_name,
        "served_model": settings.served_model,
        "max_input_tokens": settings.max_input_tokens,
        "context_window": settings.context_window,
    }
    return f"{kind}|{json.dumps(parts, sort_keys=True)}"
