"""Refusing, at create, a model that does not do the endpoint's task: a reranker for embeddings, a
sentence embedder for sparse vectors… (read from its config files, before any load)."""

from __future__ import annotations

from hfgate.errors import BadRequestError
from hfgate.local.catalog import ModelLocation
from hfgate.local.model_kind import model_kind
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import TaskType

_WANTED = {
    TaskType.TEXT_EMBEDDING: "a sentence embedding model (such as sentence-transformers/all-MiniLM-L6-v2)",
    TaskType.SPARSE_EMBEDDING: "a SPLADE model (a sentence-transformers SparseEncoder, or a *ForMaskedLM model)",
    TaskType.RERANK: "a cross-encoder (a sentence-transformers CrossEncoder, or a *ForSequenceClassification "
    "model with one label)",
    TaskType.COMPLETION: "a text generation model (a *ForCausalLM or *ForConditionalGeneration model, or a GGUF)",
    TaskType.CHAT_COMPLETION: "a text generation model (a *ForCausalLM or *ForConditionalGeneration model, or a GGUF)",
}


def refuse_other_kind(endpoint: Endpoint, location: ModelLocation) -> None:
    """Nothing when the model at ``location`` serves ``endpoint``'s task type.

    Raises:
        BadRequestError: it does not; the message names ``service_settings.model``, what the model is,
            the task types it serves, and what the endpoint's task type needs.
    """
    kind = model_kind(location)
    if endpoint.task_type in kind.task_types:
        return
    serves = ", ".join(sorted(task.value for task in kind.task_types))
    raise BadRequestError(
        f"[service_settings.model] [{endpoint.service_settings['model']}] is {kind.value}, which serves "
        f"task type [{serves}], not [{endpoint.task_type.value}]; create a [{serves}] endpoint for it, or "
        f"give {_WANTED[endpoint.task_type]}",
        param="service_settings.model",
    )
