"""The ``hugging_face`` service's create-time rules that need an answer from Hugging Face or a server."""

from __future__ import annotations

from typing import Any

from hfgate.errors import HfGateError, ValidationCallError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import GenerationParams, TaskType
from hfgate.upstream.wire.info import ServerInfo

PROBE_PROMPT = "Who are you?"
PROBE_PARAMS = GenerationParams(max_new_tokens=5)
_SERVER_KINDS = {
    TaskType.TEXT_EMBEDDING: "embedding",
    TaskType.SPARSE_EMBEDDING: "embedding",
    TaskType.RERANK: "reranker",
}
SPARSE_POOLING = "splade"


def same_task(endpoint: Endpoint, recorded: dict[str, Any]) -> None:
    """A ``task`` given by the user must be the one the Hub says the chosen provider serves."""
    given, found = endpoint.service_settings.get("task"), recorded.get("task")
    if given and found and given != found:
        raise ValidationCallError(
            f"[task] is [{given}] but the Hub says model [{endpoint.service_settings['model_id']}] is served "
            f"as [{found}]; for a hosted [model_id] leave [task] out: it is taken from the Hub",
            param="service_settings.task",
        )


def check_server_kind(endpoint: Endpoint, info: ServerInfo) -> None:
    """A TEI server's ``/info`` says which kind of model it serves; refuse a mismatch early."""
    wanted = _SERVER_KINDS.get(endpoint.task_type)
    where = endpoint.service_settings.get("url") or endpoint.service_settings.get("urls")
    if info.kind is not None and wanted is not None and info.kind != wanted:
        raise ValidationCallError(
            f"The server at [{where}] serves a [{info.kind}] model "
            f"([{info.model_id or 'unknown'}]), which cannot serve [{endpoint.task_type.value}]; register it "
            "with the matching task type, or give the url of a server with a matching model",
            param="service_settings.url",
        )
    if info.pooling is None or wanted != "embedding":
        return
    sparse = info.pooling == SPARSE_POOLING
    if sparse != (endpoint.task_type is TaskType.SPARSE_EMBEDDING):
        model = info.model_id or "unknown"
        kind = "a sparse (SPLADE) model" if sparse else f"a dense model (pooling [{info.pooling}])"
        fit = "sparse_embedding" if sparse else "text_embedding"
        raise ValidationCallError(
            f"The server at [{where}] serves {kind} ([{model}]), which cannot serve "
            f"[{endpoint.task_type.value}]; register it as [{fit}], or give the url of a TEI server with a "
            f"{'SPLADE' if not sparse else 'dense embedding'} model",
            param="service_settings.url",
        )


def probe_failed(endpoint: Endpoint, exc: HfGateError, *, settings: HfSettings) -> str:
    """Why the create-time test call failed, with a hint where the cause is a likely mistake."""
    hint = ""
    if endpoint.task_type is TaskType.COMPLETION and settings.server_url and exc.status in (400, 404, 405):
        hint = (
            f" The server refused a completion request in the [{settings.engine or 'pipeline'}] engine's "
            "protocol: set [engine] to what serves the url (tgi, vllm, sglang, llamacpp, openai), or its "
            "[task] to [text2text-generation] for a text2text model."
        )
    where = settings.server_url or settings.model_id
    return f"The test [{endpoint.task_type.value}] call to [{where}] failed: {exc.reason}{hint}"
