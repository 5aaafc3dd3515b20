"""Names under which the model cache holds a local endpoint's loaded parts."""

from __future__ import annotations

from hfgate.local.catalog import ModelLocation
from hfgate.local.embedding.engine_choice import AUTO_ENGINE, DEFAULT_MIN_COSINE
from hfgate.local.generation.engine_choice import AUTO_ENGINE as AUTO_GENERATION_ENGINE
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.generation_settings import DEFAULT_DTYPE


def tokenizer_key(location: ModelLocation) -> str:
    return f"tokenizer:{location.path}:{location.gguf_file or ''}"


def embedding_key(endpoint: Endpoint, location: ModelLocation) -> str:
    settings = endpoint.service_settings
    engine = settings.get("engine") or AUTO_ENGINE
    return f"embedding:{engine}:{settings.get('min_cosine', DEFAULT_MIN_COSINE)}:{location.path}"


def rerank_key(location: ModelLocation) -> str:
    return f"rerank:{location.path}"


def sparse_key(location: ModelLocation) -> str:
    return f"sparse:{location.path}"


def generation_key(endpoint: Endpoint, location: ModelLocation) -> str:
    settings = endpoint.service_settings
    engine = settings.get("engine") or AUTO_GENERATION_ENGINE
    if engine == AUTO_GENERATION_ENGINE:
        variant = f"{settings.get('min_cosine', DEFAULT_MIN_COSINE)}"
    else:
        variant = str(settings.get("dtype", DEFAULT_DTYPE))
    return f"generation:{location.path}:{location.gguf_file or ''}:{engine}:{variant}"
