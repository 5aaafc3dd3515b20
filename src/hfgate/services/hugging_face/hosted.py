"""Create-time choice of the Inference Provider that serves a hosted ``model_id`` for a task.

The Hub's ``inferenceProviderMapping`` lists the providers serving the model, each for one Hub task,
in the user's preference order. ``provider: auto`` takes the first live entry hfgate can call for the
task (as huggingface_hub's ``provider="auto"`` does); a provider name must be in the list; a router
policy (``fastest``, ``cheapest``, ``preferred``) lets the router choose among the chat providers.
"""

from __future__ import annotations

from typing import Any

from hfgate.errors import ValidationCallError
from hfgate.pipelines import PIPELINES
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import Kind, PipelineProtocol
from hfgate.upstream.hub.model_info import HOSTED_PROVIDER, ModelInfo, ProviderEntry, hosted_task
from hfgate.upstream.providers import PROVIDERS

CHAT_TASK = "conversational"
# Hub tasks that can serve each task type, and the kind of call each is made with.
HUB_TASKS: dict[TaskType, dict[str, Kind]] = {
    TaskType.TEXT_EMBEDDING: {"feature-extraction": "embed", "sentence-similarity": "embed"},
    TaskType.COMPLETION: {"text-generation": "generate", "text2text-generation": "text2text", CHAT_TASK: "chat"},
    TaskType.CHAT_COMPLETION: {CHAT_TASK: "chat", "image-text-to-text": "chat"},
    TaskType.RERANK: {"sentence-similarity": "rerank"},
    TaskType.SPARSE_EMBEDDING: {},
    **{task: {task.value: "pipeline"} for task in PIPELINES},
}


def choose_provider(info: ModelInfo, task_type: TaskType, settings: HfSettings) -> dict[str, Any]:
    """What to record: ``served_by`` (the provider), ``provider_model`` (its id) and, for completion, ``task``.

    Raises:
        ValidationCallError: no provider serves the model for the task, or not the one asked for; the
            reason names those that do and what to do.
    """
    if task_type is TaskType.SPARSE_EMBEDDING:
        raise _invalid(
            "[sparse_embedding] is not offered by Inference Providers; serve a SPLADE model on a TEI server "
            "(an Inference Endpoint running TEI) and register its [url]"
        )
    if info.mapping is None:
        return _legacy(info, task_type)
    usable = [e for e in info.mapping if e.status != "error" and _callable(e, task_type)]
    if settings.policy is not None:
        return _by_policy(info, task_type, settings, usable)
    wanted = [e for e in usable if settings.provider in ("auto", e.provider)]
    if not wanted:
        raise _invalid(_none_serves(info, task_type, settings))
    chosen = wanted[0]
    recorded: dict[str, Any] = {"served_by": chosen.provider, "provider_model": chosen.provider_id}
    if task_type is TaskType.COMPLETION:
        recorded["task"] = chosen.task if chosen.task in HUB_TASKS[task_type] else CHAT_TASK
    return recorded


def _callable(entry: ProviderEntry, task_type: TaskType) -> bool:
    kind = HUB_TASKS[task_type].get(entry.task)
    if kind is None:
        return False
    if kind == "chat":
        return True  # the router speaks OpenAI chat for every provider
    return _speaks(entry.provider, kind, task_type)


def _speaks(provider: str, kind: Kind, task_type: TaskType) -> bool:
    """Whether ``provider``'s own route serves ``kind`` (for a Hub task: that task)."""
    found = PROVIDERS.get(provider)
    protocol = found.protocols.get(kind) if found is not None else None
    if isinstance(protocol, PipelineProtocol):
        return protocol.serves(task_type)
    return protocol is not None


def _by_policy(
    info: ModelInfo, task_type: TaskType, settings: HfSettings, usable: list[ProviderEntry]
) -> dict[str, Any]:
    chat = [e for e in usable if HUB_TASKS[task_type].get(e.task) == "chat"]
    if not chat:
        raise _invalid(
            f"[provider] [{settings.provider}] is a router policy, which applies to chat models only; "
            f"{_serving(info, task_type)} Set [provider] to [auto] or to one provider's name."
        )
    return {"task": CHAT_TASK} if task_type is TaskType.COMPLETION else {}


def _none_serves(info: ModelInfo, task_type: TaskType, settings: HfSettings) -> str:
    if settings.provider != "auto":
        return (
            f"Provider [{settings.provider}] does not serve model [{info.model_id}] for [{task_type.value}]. "
            f"{_serving(info, task_type)} Set [provider] to one of them, or to [auto]."
        )
    return (
        f"No Inference Provider serves model [{info.model_id}] for [{task_type.value}] in a way hfgate can call. "
        f"{_serving(info, task_type)} Choose a model that one serves for this task, or deploy this one to an "
        "Inference Endpoint (vLLM, TGI or TEI) and register its [url]."
    )


def _serving(info: ModelInfo, task_type: TaskType) -> str:
    listed = [f"{e.provider} ({e.task}, {e.status})" for e in info.mapping or ()]
    kinds = set(HUB_TASKS[task_type].values())
    calls = sorted(p for p in PROVIDERS if any(_speaks(p, kind, task_type) for kind in kinds))
    return (
        f"Providers serving it: [{', '.join(listed) or 'none'}]; hfgate calls the router for "
        f"[{CHAT_TASK}] and these providers' own routes for [{task_type.value}]: [{', '.join(calls)}]."
    )


def _legacy(info: ModelInfo, task_type: TaskType) -> dict[str, Any]:
    task = hosted_task(info, task_type)
    recorded: dict[str, Any] = {"served_by": HOSTED_PROVIDER, "provider_model": info.model_id}
    return recorded | ({"task": task} if task_type is TaskType.COMPLETION else {})


def _invalid(reason: str) -> ValidationCallError:
    return ValidationCallError(reason, param="service_settings.provider")
