"""The ``hugging_face`` service: models served by Hugging Face's Inference Providers (by ``model_id``) or
by any server at a url (TEI, TGI, vLLM, SGLang, llama.cpp, an OpenAI-compatible server, an Inference
Endpoint) — for embeddings, sparse embeddings, completion, chat completion and rerank.

An endpoint's requests call its :class:`~hfgate.services.hugging_face.model.HuggingFaceModel`; the service
holds what they share (the upstream client, the token counters, the servers' ``/info``) and the
create-time checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hfgate.errors import RequestValidationError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import EndpointDescription, Service, ServiceContext
from hfgate.services.hugging_face import create
from hfgate.services.hugging_face.accounting import Accounting
from hfgate.services.hugging_face.model import HuggingFaceModel
from hfgate.services.hugging_face.rules import host_problems, settings_problems
from hfgate.services.hugging_face.server_info import ServerInfos
from hfgate.services.hugging_face.settings import SERVICE_SETTINGS, TASK_SETTINGS
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import TaskType, task_of_pipeline_tag
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.hub.model_info import fetch_model_info


class HuggingFaceService(Service):
    """Hugging Face models by hosted ``model_id`` or by server ``url``.

    Args:
        context: the process-wide resources.
        upstream: the client for upstream calls (tests and benchmarks pass their own).
    """

    name = "hugging_face"
    label = "Hugging Face"
    task_types: ClassVar[frozenset[TaskType]] = frozenset(TaskType)
    service_settings = SERVICE_SETTINGS
    task_settings = TASK_SETTINGS

    def __init__(self, context: ServiceContext, *, upstream: UpstreamClient | None = None) -> None:
        super().__init__(context)
        self.upstream = upstream or UpstreamClient(limiters=context.limiters)
        self.usage = Accounting()
        self.infos = ServerInfos(self.upstream)

    @classmethod
    def cross_check(cls, task_type: TaskType, settings: dict[str, Any]) -> list[str]:
        return settings_problems(task_type, settings)

    @classmethod
    def describe(cls, endpoint: Endpoint) -> EndpointDescription:
        settings = HfSettings.of(endpoint.service_settings)
        model = settings.model_id or settings.served_model or settings.model_name or settings.server_url
        task = settings.task if settings.task == "text2text-generation" else "text-generation"
        return EndpointDescription(
            model=model or endpoint.inference_id, max_input_tokens=settings.max_input_tokens, generation_task=task
        )

    def admit(self, endpoint: Endpoint) -> None:
        if problems := host_problems(endpoint.service_settings, patterns=self.context.settings.allowed_url_hosts):
            raise RequestValidationError(problems, param="service_settings.url")

    async def task_for(self, settings: Mapping[str, Any]) -> TaskType | None:
        """A hosted ``model_id``'s ``pipeline_tag``, as the Hub's model info gives it (a url: none)."""
        model_id = settings.get("model_id")
        if not isinstance(model_id, str) or not model_id or settings.get("url") or settings.get("urls"):
            return None
        call = Call(inference_id="", api_key=str(settings.get("api_key") or ""), timeout=30)
        info = await fetch_model_info(self.upstream, call, hub_url=self.context.settings.hf_hub_url, model_id=model_id)
        return task_of_pipeline_tag(info.pipeline_tag)

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        """The offline rules, then what the Hub or the server says, then one real call.

        Raises:
            RequestValidationError: the settings do not combine.
            ValidationCallError: a check failed; the reason names it and what to do.
            UpstreamError: the upstream refused the token, or could not be reached.
        """
        return await create.check(self, endpoint, upstream=self.upstream, infos=self.infos, timeout=timeout)

    async def revise(self, before: Endpoint, after: Endpoint, *, timeout: float) -> Endpoint:
        """An ``_update`` that changed the url: what serves the new url is detected again."""
        return await create.revise(self, before, after, upstream=self.upstream, infos=self.infos, timeout=timeout)

    def open(self, endpoint: Endpoint) -> HuggingFaceModel:
        return HuggingFaceModel(self, endpoint, upstream=self.upstream, usage=self.usage, infos=self.infos)

    async def aclose(self) -> None:
        await self.upstream.aclose()
