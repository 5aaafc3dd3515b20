"""The Hub's model info, and what it says about serving a model on the hosted API.

``GET {HFGATE_HF_HUB_URL}/api/models/{id}`` tells whether the model exists, whether inference is
turned off in its card (``cardData.inference: false``), its task (``pipeline_tag``) and which
inference providers serve it with which task (``inferenceProviderMapping``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hfgate.errors import ValidationCallError
from hfgate.tasks import TaskType
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.http.failures import AUTH_STATUSES, token_refused
from hfgate.upstream.wire.common import as_dict, sub_dict

HOSTED_PROVIDER = "hf-inference"
_EXPAND = "expand[]=pipeline_tag&expand[]=cardData&expand[]=inferenceProviderMapping"

# The pipeline tags that can serve each task type on the hosted API, and the task hfgate then uses.
HOSTED_TASKS: dict[TaskType, dict[str, str]] = {
    TaskType.TEXT_EMBEDDING: {
        "feature-extraction": "feature-extraction",
        "sentence-similarity": "feature-extraction",
    },
    TaskType.COMPLETION: {
        "text-generation": "text-generation",
        "text2text-generation": "text2text-generation",
    },
    TaskType.CHAT_COMPLETION: {"text-generation": "conversational", "image-text-to-text": "conversational"},
    TaskType.RERANK: {"sentence-similarity": "sentence-similarity"},
    **{task: {task.value: task.value} for task in TaskType if task.hub_pipeline},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderEntry:
    """One entry of the Hub's ``inferenceProviderMapping``: who serves the model, as which task, under
    which id (huggingface_hub ``hf_api.py``, ``InferenceProviderMapping``)."""

    provider: str
    provider_id: str
    task: str
    status: str = "live"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo:
    """What the Hub says about a model; ``mapping`` keeps the Hub's order (the user's preference)."""

    model_id: str
    pipeline_tag: str | None = None
    inference_off: bool = False
    mapping: tuple[ProviderEntry, ...] | None = field(default=None)  # None when not reported


def model_info_url(hub_url: str, model_id: str) -> str:
    return f"{hub_url.rstrip('/')}/api/models/{model_id}?{_EXPAND}"


async def fetch_model_info(client: UpstreamClient, call: Call, *, hub_url: str, model_id: str) -> ModelInfo:
    """The Hub's model info.

    Raises:
        ValidationCallError: the model does not exist.
        UpstreamAuthError: the Hub refused the token.
        UpstreamError: the Hub could not be reached or failed.
    """
    url = model_info_url(hub_url, model_id)
    response = await client.get_response(call, url)
    if response.status == 404:
        raise ValidationCallError(
            f"Model [{model_id}] not found on the Hugging Face Hub ([{hub_url}] answered 404). Check "
            "[service_settings.model_id]: it is the owner/name shown on the model's page, e.g. "
            "[sentence-transformers/all-MiniLM-L6-v2]; for a private model, use a token that can read it.",
            param="service_settings.model_id",
        )
    if response.status in AUTH_STATUSES:
        raise token_refused(
            api="The Hugging Face Hub",
            subject=f"model [{model_id}]",
            status=response.status,
            fix="a valid token with read access; a gated model also needs its terms accepted on its page.",
        )
    return client.decode(call, url, body=response.body, parse=lambda body: parse_model_info(body, model_id))


def parse_model_info(body: Any, model_id: str) -> ModelInfo:
    """A :class:`ModelInfo` from the Hub's JSON."""
    info = as_dict(body, "the model info")
    card = sub_dict(info, "cardData")
    tag = info.get("pipeline_tag")
    return ModelInfo(
        model_id=str(info.get("id") or model_id),
        pipeline_tag=tag if isinstance(tag, str) else None,
        inference_off=card.get("inference") is False,
        mapping=_mapping(info.get("inferenceProviderMapping"), model_id),
    )


def _mapping(raw: Any, model_id: str) -> tuple[ProviderEntry, ...] | None:
    # The Hub has sent both a dict keyed by provider and a list of {provider, …}; order is kept.
    if isinstance(raw, dict):
        items = [{"provider": k, **v} for k, v in raw.items() if isinstance(v, dict)]
    elif isinstance(raw, list):
        items = [m for m in raw if isinstance(m, dict)]
    else:
        return None
    return tuple(
        ProviderEntry(
            provider=str(m.get("provider")),
            provider_id=str(m.get("providerId") or model_id),
            task=str(m.get("task", "")),
            status=str(m.get("status", "live")),
        )
        for m in items
    )


def check_inference_on(info: ModelInfo) -> None:
    """Raises ValidationCallError when the model card turns inference off."""
    if info.inference_off:
        raise _invalid(
            f"Inference API has been turned off for this model [{info.model_id}] (its model card sets "
            "[inference: false]). Deploy it to an Inference Endpoint and register that endpoint's [url] "
            "instead."
        )


def hosted_task(info: ModelInfo, task_type: TaskType) -> str:
    """The ``hf-inference`` task that serves ``task_type``, by the model's ``pipeline_tag`` (for a model
    whose provider mapping the Hub did not report).

    Raises:
        ValidationCallError: its task does not fit ``task_type``; the reason says what to do instead.
    """
    fitting = HOSTED_TASKS.get(task_type, {})
    if info.pipeline_tag in fitting:
        return fitting[info.pipeline_tag]
    raise _invalid(
        f"Model [{info.model_id}] is not a valid task for [{task_type.value}]: its task (pipeline_tag) is "
        f"[{info.pipeline_tag or 'not set'}], must be one of ({', '.join(fitting) or 'none'}). Choose a model "
        "with one of those tasks, or serve this one on a TEI/TGI/vLLM server and register its [url]."
    )


def _invalid(reason: str) -> ValidationCallError:
    return ValidationCallError(reason, param="service_settings.model_id")
