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
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo:
    """What the Hub says about a model."""

    model_id: str
    pipeline_tag: str | None = None
    inference_off: bool = False
    providers: dict[str, str] | None = field(default=None)  # provider -> task; None when not reported

    @property
    def chat_only(self) -> bool:
        """The hosted provider offers this model only as a conversational (chat) model."""
        return (self.providers or {}).get(HOSTED_PROVIDER) == "conversational"


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
        providers=_providers(info.get("inferenceProviderMapping")),
    )


def _providers(mapping: Any) -> dict[str, str] | None:
    # The Hub has sent both a dict keyed by provider and a list of {provider, task}.
    if isinstance(mapping, dict):
        return {str(k): str(v.get("task", "")) for k, v in mapping.items() if isinstance(v, dict)}
    if isinstance(mapping, list):
        return {str(m.get("provider")): str(m.get("task", "")) for m in mapping if isinstance(m, dict)}
    return None


def hosted_task(info: ModelInfo, task_type: TaskType) -> str:
    """The hosted task that serves ``task_type`` for this model.

    Raises:
        ValidationCallError: inference is off, the hosted provider does not serve the model, or its
            task does not fit ``task_type``; the reason says what to do instead.
    """
    model = info.model_id
    if info.inference_off:
        raise _invalid(
            f"Inference API has been turned off for this model [{model}] (its model card sets "
            "[inference: false]). Deploy it to an Inference Endpoint and register that endpoint's [url] "
            "instead."
        )
    if info.providers is not None and HOSTED_PROVIDER not in info.providers:
        offered = ", ".join(sorted(info.providers)) or "none"
        raise _invalid(
            f"Model [{model}] is not served by Hugging Face's hosted inference ([{HOSTED_PROVIDER}]); "
            f"providers serving it: [{offered}]. Deploy it to an Inference Endpoint and register its [url]."
        )
    if task_type is TaskType.COMPLETION and info.chat_only:
        return "conversational"
    fitting = HOSTED_TASKS[task_type]
    if info.pipeline_tag in fitting:
        return fitting[info.pipeline_tag]
    raise _invalid(
        f"Model [{model}] is not a valid task for [{task_type.value}]: its task (pipeline_tag) is "
        f"[{info.pipeline_tag or 'not set'}], must be one of ({', '.join(fitting)}). Choose a model with one "
        "of those tasks, or serve this one on a TEI/TGI server and register its [url]."
    )


def _invalid(reason: str) -> ValidationCallError:
    return ValidationCallError(reason, param="service_settings.model_id")
