"""The embedded default endpoints, created on first start so hfgate works offline out of the box.

Each default is provisioned once per database: deleting it is respected across restarts, and
replicas starting together create it once.
"""

from __future__ import annotations

import logging

from hfgate.registry.endpoint import Endpoint
from hfgate.registry.store import EndpointStore
from hfgate.tasks import TaskType

log = logging.getLogger("hfgate.registry")

DEFAULT_CHUNKING = {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1}

DEFAULT_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        inference_id=".all-minilm-l6-v2",
        task_type=TaskType.TEXT_EMBEDDING,
        service="local",
        service_settings={
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "dimensions": 384,
            "similarity": "cosine",
        },
        chunking_settings=DEFAULT_CHUNKING,
    ),
    # A completion endpoint that also answers chat_completion (its service offers both): the chat
    # template comes from the model.
    Endpoint(
        inference_id=".smollm2-135m-instruct",
        task_type=TaskType.COMPLETION,
        service="local",
        service_settings={
            "model": "HuggingFaceTB/SmolLM2-135M-Instruct",
            "task": "text-generation",
            "engine": "auto",
        },
        task_settings={"max_new_tokens": 256},
    ),
)

# Presets of models fetched from the Hub at their first request (never at start-up: the defaults above
# are what ``hfgate serve`` preloads and ``/ready`` waits for). The two Elasticsearch users reach for
# beside an embedding model: a reranker for semantic reranking, and a SPLADE model for ELSER-style
# sparse search (why these two: docs/services/local.md).
PRESET_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        inference_id=".ms-marco-minilm-l6-v2",
        task_type=TaskType.RERANK,
        service="local",
        # The MS MARCO cross-encoders save an Identity activation: their scores are raw logits.
        service_settings={"model": "cross-encoder/ms-marco-MiniLM-L6-v2", "score_activation": "identity"},
    ),
    Endpoint(
        inference_id=".splade-pp-en-v1",
        task_type=TaskType.SPARSE_EMBEDDING,
        service="local",
        service_settings={"model": "prithivida/Splade_PP_en_v1"},
    ),
)


def provision_defaults(store: EndpointStore) -> list[str]:
    """Create each default and preset endpoint this database has never had; returns the ids created now."""
    created: list[str] = []
    for default in (*DEFAULT_ENDPOINTS, *PRESET_ENDPOINTS):
        if not store.provision(default.evolve()):
            continue
        log.info("default endpoint created", extra={"event": "endpoint.default", "endpoint": default.inference_id})
        created.append(default.inference_id)
    return created
