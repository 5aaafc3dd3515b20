"""What the web page shows: endpoint summaries for the table, and the add-a-model form's choices.

The form's choices come from the services' declared settings (the same declarations the API validates
with), so a field appears only for the combinations of model type and source that use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.api.ui.i18n import N_, PageText
from hfgate.orchestrator.running import LastCall
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Service
from hfgate.tasks import TaskType

# Messages are marked here and translated where they are shown (``PageText.gettext``).
TASK_LABELS: dict[TaskType, str] = {
    TaskType.TEXT_EMBEDDING: N_("Embeddings"),
    TaskType.EMBEDDING: N_("Embeddings"),  # Elasticsearch 9.4's embedding task (content objects)
    TaskType.SPARSE_EMBEDDING: N_("Sparse embeddings"),
    TaskType.COMPLETION: N_("Text generation"),
    TaskType.CHAT_COMPLETION: N_("Chat"),
    TaskType.RERANK: N_("Rerank"),
    TaskType.TEXT_CLASSIFICATION: N_("Text classification"),
    TaskType.TOKEN_CLASSIFICATION: N_("Named entities"),
    TaskType.ZERO_SHOT_CLASSIFICATION: N_("Zero-shot classification"),
    TaskType.FILL_MASK: N_("Fill mask"),
    TaskType.QUESTION_ANSWERING: N_("Question answering"),
    TaskType.TABLE_QUESTION_ANSWERING: N_("Table question answering"),
    TaskType.SUMMARIZATION: N_("Summarization"),
    TaskType.TRANSLATION: N_("Translation"),
    TaskType.SENTENCE_SIMILARITY: N_("Sentence similarity"),
    TaskType.AUTOMATIC_SPEECH_RECOGNITION: N_("Speech recognition"),
    TaskType.AUDIO_CLASSIFICATION: N_("Audio classification"),
    TaskType.IMAGE_CLASSIFICATION: N_("Image classification"),
    TaskType.ZERO_SHOT_IMAGE_CLASSIFICATION: N_("Zero-shot image classification"),
    TaskType.OBJECT_DETECTION: N_("Object detection"),
}
SERVICE_LABELS: dict[str, str] = {
    "local": N_("Local model"),
    "hugging_face": N_("Hugging Face"),
}
# The settings page's field for a new value of each secret setting.
SECRET_LABELS: dict[str, str] = {"api_key": N_("New access token")}
FORM_TASK_TYPES = tuple(task for task in TASK_LABELS if task is not TaskType.EMBEDDING)
"""Every task an endpoint can be created for (``embedding`` is a ``text_embedding`` endpoint's other face)."""
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
        label=N_("Hugging Face hosted model"),
        service="hugging_face",
        locator="model_id",
        locator_label=N_("Model id on the Hub"),
        placeholder="BAAI/bge-small-en-v1.5",
    ),
    Source(
        key="url",
        label=N_("Inference Endpoint, or a TEI / TGI server"),
        service="hugging_face",
        locator="url",
        locator_label=N_("Endpoint URL"),
        placeholder="https://xyz.us-east-1.aws.endpoints.huggingface.cloud",
    ),
    Source(
        key="local",
        label=N_("Local model, run by hfgate itself"),
        service="local",
        locator="model",
        locator_label=N_("Model id or directory"),
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
    model_state: Mapping[str, Any] | None = None
    """A Hub model's download state (``downloading`` with bytes, ``loading``, ``failed`` with the reason),
    shown with a progress bar until it is ready; ``None`` when there is nothing to show."""
    device: str | None = None
    """Where a loaded local model runs (``cpu``, ``cuda:0``), as the service says it."""
    engine_choice: str | None = None
    """The engine that serves it and why (measured on this machine, set by name, or still measuring)."""

    @property
    def reserved(self) -> bool:
        """Default endpoints (ids starting with ``.``) that hfgate provisions."""
        return self.inference_id.startswith(".")


def endpoint_row(endpoint: Endpoint, last: LastCall | None, *, text: PageText) -> EndpointRow:
    """The table's summary of ``endpoint``, in the page's language."""
    settings = endpoint.service_settings
    dimensions = settings.get("dimensions")
    return EndpointRow(
        inference_id=endpoint.inference_id,
        task_type=endpoint.task_type.value,
        task_label=text.gettext(TASK_LABELS[endpoint.task_type]),
        service=text.gettext(SERVICE_LABELS.get(endpoint.service, endpoint.service)),
        target=target_of(settings),
        dimensions="—" if dimensions is None else text.number(dimensions),
        rate_limit=rate_limit_text(settings, text),
        chunking=chunking_text(endpoint.chunking_settings, text),
        last_call=last_call_text(last, text),
        last_call_ok=None if last is None else last.ok,
        model_state=_shown_state(settings.get("model_state")),
        device=_text_or_none(settings.get("device")),
        engine_choice=_text_or_none(settings.get("engine_choice")),
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _shown_state(state: Any) -> Mapping[str, Any] | None:
    """The states a reader waits on or must act on; ``ready`` and ``downloaded`` need no word."""
    if isinstance(state, Mapping) and state.get("state") in {"downloading", "loading", "failed"}:
        return state
    return None


def target_of(settings: dict[str, Any]) -> str:
    """The model or URL an endpoint calls."""
    return next((str(settings[k]) for k in LOCATORS if settings.get(k)), "—")


def rate_limit_text(settings: dict[str, Any], text: PageText) -> str:
    limit = (settings.get("rate_limit") or {}).get("requests_per_minute")
    return "—" if limit is None else text.gettext("%(count)s / min") % {"count": text.number(limit)}


STRATEGY_LABELS = {
    "sentence": N_("sentence"),
    "word": N_("word"),
    "recursive": N_("recursive"),
    "none": N_("none"),
}


def chunking_text(chunking: dict[str, Any] | None, text: PageText) -> str:
    """``sentence, 250 words, overlap 1`` and the like."""
    if chunking is None:
        return "—"
    strategy = str(chunking.get("strategy", "none"))
    parts = [text.gettext(STRATEGY_LABELS.get(strategy, strategy))]
    if "max_chunk_size" in chunking:
        size = chunking["max_chunk_size"]
        parts.append(text.ngettext("%(num)s word", "%(num)s words", size) % {"num": text.number(size)})
    overlap = chunking.get("overlap", chunking.get("sentence_overlap"))
    if overlap is not None:
        parts.append(text.gettext("overlap %(num)s") % {"num": text.number(overlap)})
    return text.gettext(", ").join(parts)


def last_call_text(last: LastCall | None, text: PageText) -> str:
    if last is None:
        return text.gettext("not called yet")
    when = text.time(last.at)
    if last.ok:
        return text.gettext("ok at %(time)s") % {"time": when}
    return text.gettext("failed at %(time)s: %(error)s") % {"time": when, "error": last.error}


def form_plan(text: PageText, *, kinds: Mapping[str, type[Service]]) -> dict[str, Any]:
    """For each model type and source: whether it is offered, and which optional fields it asks for.

    Example:
        >>> from hfgate.api.ui.i18n import LOCALES
        >>> form_plan(PageText(LOCALES["en"]), kinds=orch.service_kinds())["text_embedding"]["local"]["fields"]
        ['api_key', 'chunking']
    """
    return {
        kind.value: {s.key: _plan_for(kind, s, text=text, kinds=kinds) for s in SOURCES} for kind in FORM_TASK_TYPES
    }


def _plan_for(kind: TaskType, source: Source, *, text: PageText, kinds: Mapping[str, type[Service]]) -> dict[str, Any]:
    service = kinds.get(source.service)
    if service is None or kind not in service.task_types:
        offered = [text.gettext(TASK_LABELS[t]) for t in sorted(service.task_types)] if service else []
        why = text.gettext("%(source)s is not available for this model type yet (it offers: %(offered)s).")
        values = {"source": text.gettext(source.label), "offered": text.gettext(", ").join(offered) or "—"}
        return {"available": False, "why": why % values}
    return {"available": True, "fields": _fields(kind, source, service=service)}


def _fields(kind: TaskType, source: Source, *, service: type[Service]) -> list[str]:
    specs = {s.name: s for s in service.service_settings if s.applies_to(kind)}
    # Every source asks for the token: the local service's is for a gated or private Hub model.
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
