"""What the web page shows: endpoint summaries for the table, and the add-a-model form's choices.

The form's choices come from the services' declared settings (the same declarations the API validates
with), so a field appears only for the combinations of model type and source that use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.orchestrator.last_call import LastCall
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Service
from hfgate.tasks import TaskType

TASK_LABELS: dict[TaskType, str] = {
    TaskType.TEXT_EMBEDDING: "Embeddings",
    TaskType.SPARSE_EMBEDDING: "Sparse embeddings",
    TaskType.COMPLETION: "Text generation",
    TaskType.CHAT_COMPLETION: "Chat",
    TaskType.RERANK: "Rerank",
}
FORM_TASK_TYPES = (TaskType.TEXT_EMBEDDING, TaskType.COMPLETION, TaskType.CHAT_COMPLETION, TaskType.RERANK)
LOCATORS = ("model", "model_id", "url")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a model runs, as the form offers it: one service, and the setting that names the model."""

    key: str
    label: str
    service: str
    locator: str
    locator_label: str
    placeholder: str


SOURCES: tuple[Source, ...] = (
    Source(
        key="hosted",
        label="Hugging Face hosted model",
        service="hugging_face",
        locator="model_id",
        locator_label="Model id on the Hub",
        placeholder="BAAI/bge-small-en-v1.5",
    ),
    Source(
        key="url",
        label="Inference Endpoint, or a TEI / TGI server",
        service="hugging_face",
        locator="url",
        locator_label="Endpoint URL",
        placeholder="https://xyz.us-east-1.aws.endpoints.huggingface.cloud",
    ),
    Source(
        key="local",
        label="Local model, run by hfgate itself",
        service="local",
        locator="model",
        locator_label="Model id or directory",
        placeholder="sentence-transformers/all-MiniLM-L6-v2",
    ),
)


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """One line of the endpoints table."""

    inference_id: str
    task_type: str
    task_label: str
    service: str
    target: str
    dimensions: str
    rate_limit: str
    chunking: str
    last_call: str
    last_call_ok: bool | None

    @property
    def reserved(self) -> bool:
        """Default endpoints (ids starting with ``.``) that hfgate provisions."""
        return self.inference_id.startswith(".")


def endpoint_row(endpoint: Endpoint, last: LastCall | None, *, kinds: Mapping[str, type[Service]]) -> EndpointRow:
    """The table's summary of ``endpoint``; ``kinds`` are the services by name (for their labels)."""
    settings = endpoint.service_settings
    return EndpointRow(
        inference_id=endpoint.inference_id,
        task_type=endpoint.task_type.value,
        task_label=TASK_LABELS[endpoint.task_type],
        service=_service_label(endpoint.service, kinds=kinds),
        target=target_of(settings),
        dimensions=str(settings.get("dimensions", "—")),
        rate_limit=rate_limit_text(settings),
        chunking=chunking_text(endpoint.chunking_settings),
        last_call=last_call_text(last),
        last_call_ok=None if last is None else last.ok,
    )


def target_of(settings: dict[str, Any]) -> str:
    """The model or URL an endpoint calls."""
    return next((str(settings[k]) for k in LOCATORS if settings.get(k)), "—")


def rate_limit_text(settings: dict[str, Any]) -> str:
    limit = (settings.get("rate_limit") or {}).get("requests_per_minute")
    return "—" if limit is None else f"{limit} / min"


def chunking_text(chunking: dict[str, Any] | None) -> str:
    """``sentence, 250 words, overlap 1`` and the like."""
    if chunking is None:
        return "—"
    strategy = chunking.get("strategy", "none")
    parts = [str(strategy)]
    if "max_chunk_size" in chunking:
        parts.append(f"{chunking['max_chunk_size']} words")
    overlap = chunking.get("overlap", chunking.get("sentence_overlap"))
    if overlap is not None:
        parts.append(f"overlap {overlap}")
    return ", ".join(parts)


def last_call_text(last: LastCall | None) -> str:
    if last is None:
        return "not called yet"
    when = last.at.strftime("%H:%M:%S UTC")
    return f"ok at {when}" if last.ok else f"failed at {when}: {last.error}"


def _service_label(name: str, *, kinds: Mapping[str, type[Service]]) -> str:
    service = kinds.get(name)
    return service.label if service is not None else name


def form_plan(kinds: Mapping[str, type[Service]]) -> dict[str, Any]:
    """For each model type and source: whether it is offered, and which optional fields it asks for.

    Example:
        >>> form_plan(orch.service_kinds())["text_embedding"]["local"]["fields"]
        ['chunking']
    """
    return {kind.value: {s.key: _plan_for(kind, s, kinds=kinds) for s in SOURCES} for kind in FORM_TASK_TYPES}


def _plan_for(kind: TaskType, source: Source, *, kinds: Mapping[str, type[Service]]) -> dict[str, Any]:
    service = kinds.get(source.service)
    if service is None or kind not in service.task_types:
        label = service.label if service is not None else source.service
        offered = ", ".join(TASK_LABELS[t].lower() for t in sorted(service.task_types)) if service else ""
        why = f"{source.label} is not available for {TASK_LABELS[kind].lower()} yet"
        return {"available": False, "why": f"{why} ({label} offers: {offered or 'nothing'})."}
    return {"available": True, "fields": _fields(kind, source, service=service)}


def _fields(kind: TaskType, source: Source, *, service: type[Service]) -> list[str]:
    specs = {s.name: s for s in service.service_settings if s.applies_to(kind)}
    fields: list[str] = [name for name in ("api_key", "rate_limit") if name in specs]
    # Dify asks for the task type and the namespace only for dedicated endpoints: hosted models get
    # their task from the Hub, and a namespace only identifies an endpoint.
    if source.locator == "url":
        fields += [name for name in ("task", "namespace") if name in specs]
    if kind.embeds:
        fields.append("chunking")
    return fields


def generation_choices(kinds: Mapping[str, type[Service]]) -> list[str]:
    """The generation tasks a dedicated endpoint may serve (``task`` setting)."""
    for service in kinds.values():
        for spec in service.service_settings:
            if spec.name == "task" and spec.choices:
                return [c for c in spec.choices if c != "conversational"]
    return []
