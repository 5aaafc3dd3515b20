"""The ``hugging_face`` service: models on Hugging Face's hosted Inference API, on dedicated Inference
Endpoints, or on any TEI / TGI server — for embeddings, completion, chat completion and rerank.

Every call goes through one :class:`~hfgate.upstream.http.client.UpstreamClient` (pooled connections, rate
limits per url or model and token, retries, typed errors). Where an endpoint is reached (a model id
or a url) is decided in :mod:`hfgate.upstream.target`; how each task is spoken, in the wire-format
modules of :mod:`hfgate.upstream`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

from hfgate.errors import (
    RequestValidationError,
    UpstreamBadRequestError,
    UpstreamError,
)
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Service, ServiceContext
from hfgate.services.embedding_shape import record_embedding_shape
from hfgate.services.hugging_face.accounting import Accounting
from hfgate.services.hugging_face.calls import as_chat, call_for, plain_call, target_of, within
from hfgate.services.hugging_face.checks import (
    PROBE_PARAMS,
    PROBE_PROMPT,
    check_server_kind,
    probe_failed,
    recorded_task,
)
from hfgate.services.hugging_face.server_info import ServerInfos
from hfgate.services.hugging_face.settings import (
    SERVICE_SETTINGS,
    TASK_SETTINGS,
    settings_problems,
)
from hfgate.tasks import (
    ChatMessage,
    ChatRequest,
    EmbeddingResult,
    EmbedRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    RerankHit,
    RerankRequest,
    RerankResult,
    TaskType,
    Usage,
)
from hfgate.upstream.http import failures
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.hub.endpoints_api import find_endpoint
from hfgate.upstream.hub.model_info import fetch_model_info, hosted_task
from hfgate.upstream.target import ServerUrl, Target
from hfgate.upstream.wire.chat import chat_payload, parse_chat, parse_chat_chunk
from hfgate.upstream.wire.common import UpstreamText
from hfgate.upstream.wire.embeddings import (
    DEFAULT_BATCH_SIZE,
    cut_to_tokens,
    embed_in_batches,
    embeddings_payload,
    parse_embeddings,
)
from hfgate.upstream.wire.info import ServerInfo
from hfgate.upstream.wire.text2text import parse_text2text, text2text_parameters
from hfgate.upstream.wire.tgi import (
    generate_payload,
    parse_generation,
    parse_stream_event,
    tgi_parameters,
    unused_model_kwargs,
)


class HuggingFaceService(Service):
    """Hugging Face models by hosted ``model_id`` or by endpoint ``url``.

    Args:
        context: the process-wide resources.
        upstream: the client for upstream calls (tests and benchmarks pass their own).
    """

    name = "hugging_face"
    label = "Hugging Face"
    task_types: ClassVar[frozenset[TaskType]] = frozenset(
        {TaskType.TEXT_EMBEDDING, TaskType.COMPLETION, TaskType.CHAT_COMPLETION, TaskType.RERANK}
    )
    service_settings = SERVICE_SETTINGS
    task_settings = TASK_SETTINGS

    def __init__(self, context: ServiceContext, *, upstream: UpstreamClient | None = None) -> None:
        super().__init__(context)
        self.upstream = upstream or UpstreamClient(limiters=context.limiters)
        self._usage = Accounting()
        self._infos = ServerInfos(self.upstream)

    @classmethod
    def cross_check(cls, task_type: TaskType, settings: dict[str, Any]) -> list[str]:
        return settings_problems(task_type, settings)

    # -- create-time check --------------------------------------------------------------------------

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        """The offline rules, then the Hub or endpoints-API checks, then one real call.

        Raises:
            RequestValidationError: the settings do not combine.
            ValidationCallError: a check failed; the reason names it and what to do.
            UpstreamError: the upstream refused the token, or could not be reached.
        """
        problems = settings_problems(endpoint.task_type, endpoint.service_settings)
        if problems:
            raise RequestValidationError(problems)
        target = self._target(endpoint)
        learnt = await self._learn(endpoint, target, timeout=timeout)
        endpoint = endpoint.evolve(service_settings={**endpoint.service_settings, **learnt})
        try:
            return await self._probe(endpoint, timeout)
        except UpstreamError as exc:
            raise failures.with_reason(exc, probe_failed(endpoint, exc, target=target)) from exc

    async def _learn(self, endpoint: Endpoint, target: Target, *, timeout: float) -> dict[str, Any]:
        """What the Hub, the endpoints API or the server's ``/info`` tell about the endpoint."""
        settings = endpoint.service_settings
        call = plain_call(endpoint, timeout=timeout)
        if not isinstance(target, ServerUrl):
            hub_info = await fetch_model_info(
                self.upstream, call, hub_url=self.context.settings.hf_hub_url, model_id=target.model_id
            )
            task = hosted_task(hub_info, endpoint.task_type)
            return recorded_task(endpoint, task) if endpoint.task_type is TaskType.COMPLETION else {}
        if endpoint.task_type is TaskType.TEXT_EMBEDDING and settings.get("namespace"):
            item = await find_endpoint(
                self.upstream,
                call,
                base=self.context.settings.hf_endpoints_url,
                namespace=str(settings["namespace"]),
                url=target.url,
            )
            return {"served_model": item.repository}
        info = await self._infos.get(target, call)
        check_server_kind(endpoint, info)
        return {"served_model": info.model_id} if info.model_id else {}

    async def _probe(self, endpoint: Endpoint, timeout: float) -> Endpoint:
        if endpoint.task_type is TaskType.TEXT_EMBEDDING:
            return await record_embedding_shape(self, endpoint, timeout=timeout)
        if endpoint.task_type is TaskType.COMPLETION:
            await self.generate(endpoint, GenerateRequest(prompt=PROBE_PROMPT, params=PROBE_PARAMS, timeout=timeout))
        elif endpoint.task_type is TaskType.CHAT_COMPLETION:
            message = ChatMessage(role="user", content=PROBE_PROMPT)
            await self.chat(endpoint, ChatRequest(messages=(message,), params=PROBE_PARAMS, timeout=timeout))
        else:
            await self.rerank(endpoint, RerankRequest(query="how big", documents=("small", "large"), timeout=timeout))
        return endpoint

    # -- text_embedding -----------------------------------------------------------------------------

    async def embed(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        target = self._target(endpoint)
        call = call_for(endpoint, target, timeout=request.timeout)
        texts = cut_to_tokens(request.texts, endpoint.service_settings.get("max_input_tokens"))
        info = await self._infos.get(target, call) if isinstance(target, ServerUrl) else ServerInfo()
        url = target.embeddings_url()

        async def send(batch: list[str]) -> list[list[float]]:
            count = len(batch)
            payload = embeddings_payload(batch, normalize=request.normalize)
            return await self.upstream.post_json(
                call, url, payload=payload, parse=lambda b: parse_embeddings(b, count=count)
            )

        batch_size = info.max_client_batch_size or DEFAULT_BATCH_SIZE
        vectors = await within(call, embed_in_batches(send, texts, batch_size=batch_size))
        return EmbeddingResult(embeddings=vectors, usage=await self._usage.prompt(endpoint, texts, info=info))

    # -- completion ---------------------------------------------------------------------------------

    async def generate(self, endpoint: Endpoint, request: GenerateRequest) -> Generation:
        task = endpoint.service_settings.get("task") or "text-generation"
        if task == "conversational":
            return await self.chat(endpoint, as_chat(request))
        target = self._target(endpoint)
        call = call_for(endpoint, target, timeout=request.timeout)
        parameters = tgi_parameters(endpoint.task_settings, request.params)
        parse: Callable[[Any], UpstreamText] = parse_generation
        if task == "text2text-generation":
            parameters, parse = text2text_parameters(parameters), parse_text2text
        answer = await self._generate_once(
            call, target.generate_url(), prompt=request.prompt, parameters=parameters, parse=parse
        )
        return await self._usage.generation(endpoint, answer, prompts=[request.prompt], params=request.params)

    async def _generate_once(
        self, call: Call, url: str, *, prompt: str, parameters: dict[str, Any], parse: Callable[[Any], UpstreamText]
    ) -> UpstreamText:
        """One generation; parameters a transformers backend says it does not use are dropped once."""
        try:
            return await self.upstream.post_json(call, url, payload=generate_payload(prompt, parameters), parse=parse)
        except UpstreamBadRequestError as exc:
            unused = unused_model_kwargs(exc.reason)
            if not unused:
                raise
        kept = {k: v for k, v in parameters.items() if k not in unused}
        return await self.upstream.post_json(call, url, payload=generate_payload(prompt, kept), parse=parse)

    async def generate_stream(self, endpoint: Endpoint, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        task = endpoint.service_settings.get("task") or "text-generation"
        if task == "conversational":
            async for delta in self.chat_stream(endpoint, as_chat(request)):
                yield delta
            return
        if task == "text2text-generation":
            # A text2text pipeline does not stream: the whole answer is one piece.
            done = await self.generate(endpoint, request)
            yield GenerationDelta(text=done.text, finish_reason=done.finish_reason, usage=done.usage)
            return
        async for delta in self._tgi_stream(endpoint, request):
            yield delta

    async def _tgi_stream(self, endpoint: Endpoint, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        target = self._target(endpoint)
        call = call_for(endpoint, target, timeout=request.timeout)
        payload = generate_payload(request.prompt, tgi_parameters(endpoint.task_settings, request.params), stream=True)
        async for delta in self.upstream.stream_events(
            call, target.generate_url(), payload=payload, parse=parse_stream_event
        ):
            if delta.finish_reason is None:
                yield delta
                continue
            prompt = await self._usage.count(endpoint, [request.prompt])
            completion = delta.usage.completion_tokens if delta.usage else 0
            yield GenerationDelta(
                text=delta.text,
                token_id=delta.token_id,
                finish_reason=delta.finish_reason,
                usage=Usage(prompt_tokens=prompt or 0, completion_tokens=completion),
            )

    # -- chat_completion ----------------------------------------------------------------------------

    async def chat(self, endpoint: Endpoint, request: ChatRequest) -> Generation:
        target = self._target(endpoint)
        call = call_for(endpoint, target, timeout=request.timeout)
        payload = self._chat_payload(endpoint, request, target=target, stream=False)
        answer = await self.upstream.post_json(call, target.chat_url(), payload=payload, parse=parse_chat)
        prompts = [m.content for m in request.messages]
        return await self._usage.generation(endpoint, answer, prompts=prompts, params=request.params)

    async def chat_stream(self, endpoint: Endpoint, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        target = self._target(endpoint)
        call = call_for(endpoint, target, timeout=request.timeout)
        payload = self._chat_payload(endpoint, request, target=target, stream=True)
        final: GenerationDelta | None = None
        usage: Usage | None = None
        async for delta in self.upstream.stream_events(
            call, target.chat_url(), payload=payload, parse=parse_chat_chunk
        ):
            usage = delta.usage or usage
            if delta.finish_reason is not None:
                final = delta  # held back: the usage chunk comes after it
            elif delta.text:
                yield delta
        if final is not None:
            yield GenerationDelta(text=final.text, finish_reason=final.finish_reason, usage=usage)

    def _chat_payload(
        self, endpoint: Endpoint, request: ChatRequest, *, target: Target, stream: bool
    ) -> dict[str, Any]:
        return chat_payload(
            model=target.chat_model(),
            messages=request.messages,
            params=request.params,
            settings=endpoint.task_settings,
            stream=stream,
        )

    # -- rerank -------------------------------------------------------------------------------------

    async def rerank(self, endpoint: Endpoint, request: RerankRequest) -> RerankResult:
        target = self._target(endpoint)
        call = call_for(endpoint, target, timeout=request.timeout)
        spoken = target.rerank(request.query, request.documents)
        scores = await self.upstream.post_json(call, spoken.url, payload=spoken.payload, parse=spoken.parse)
        top_n = request.top_n or endpoint.task_settings.get("top_n")
        ranked = sorted(scores, key=lambda pair: pair[1], reverse=True)[:top_n]
        keep_text = request.return_documents
        hits = [RerankHit(index=i, score=s, text=request.documents[i] if keep_text else None) for i, s in ranked]
        counted = await self._usage.count(endpoint, [request.query, *request.documents])
        return RerankResult(hits=hits, usage=Usage(prompt_tokens=counted or 0))

    async def aclose(self) -> None:
        await self.upstream.aclose()

    # -- shared -------------------------------------------------------------------------------------

    def _target(self, endpoint: Endpoint) -> Target:
        return target_of(endpoint, inference_url=self.context.settings.hf_inference_url)
