"""A remote model's identity for the embedding cache: everything in the settings that changes the
vectors — where it is served (url, replicas or model id and provider, as chosen at create), what serves
it and under which name (as detected), and how inputs are cut."""

from __future__ import annotations

import json

from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import TaskType


class NamesVectorModels:
    """The service's part of the embedding cache's key (:meth:`hfgate.services.base.Service.vector_model`)."""

    def vector_model(self, endpoint: Endpoint) -> str | None:
        if endpoint.task_type is not TaskType.TEXT_EMBEDDING:
            return None
        return vector_model(HfSettings.of(endpoint.service_settings))


def vector_model(settings: HfSettings) -> str:
    """``hf|`` and the settings that change the vectors, as sorted JSON.

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
    return f"hf|{json.dumps(parts, sort_keys=True)}"
