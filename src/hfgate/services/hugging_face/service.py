"""The ``hugging_face`` service: models served by Hugging Face's Inference Providers (by ``model_id``) or
by any server at a url (TEI, TGI, vLLM, SGLang, llama.cpp, an OpenAI-compatible server, an Inference
Endpoint) — for embeddings, sparse embeddings, completion, chat completion and rerank.

Each task method asks :func:`~hfgate.services.hugging_face.routing.pick` for the protocol and its
address, then speaks it through the one :class:`~hfgate.upstream.http.client.UpstreamClient`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar, TypeVar

from hfgate.errors import RequestValidationError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import EndpointDescription, Service, ServiceContext, TokenNames
from hfgate.services.hugging_face import create
from hfgate.services.hugging_face.accounting import Accounting
from hfgate.services.hugging_face.calls import answered, as_chat, call_for, prompt_texts, wire_tools
from hfgate.services.hugging_face.generation import generate_once, stream_generation
from hfgate.services.hugging_face.identity import NamesVectorModels
from hfgate.services.hugging_face.images import embed_mixed, image_sender, takes_images
from hfgate.services.hugging_face.responses import RelaysResponses
from hfgate.services.hugging_face.routing import PickedRoutes, Route
from hfgate.services.hugging_face.rules import host_problems, settings_problems
from hfgate.services.hugging_face.server_info import ServerInfos
from hfgate.services.hugging_face.session_key import affinity_of
from hfgate.services.hugging_face.settings import SERVICE_SETTINGS, TASK_SETTINGS
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import (
    ChatRequest,
    EmbeddingResult,
    EmbedRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    RerankRequest,
    RerankScores,
    SparseWeights,
    TaskType,
    Usage,
)
from hfgate.upstream.engines.base import (
    Batched,
    ChatProtocol,
    EmbedProtocol,
    GenerateProtocol,
    ImageEmbedProtocol,
    Kind,
    Protocol,
    RerankProtocol,
    SparseProtocol,
)
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.wire.embeddings import DEFAULT_BATCH_SIZE, cut_to_tokens, embed_in_batches
from hfgate.upstream.wire.info import ServerInfo
from hfgate.upstream.wire.rerank import by_document

P = TypeVar("P", bound=Protocol)
R = TypeVar("R")
_COMPLETION_KINDS: dict[str | None, Kind] = {"conversational": "chat", "text2text-generation": "text2text"}


class HuggingFaceService(RelaysResponses, NamesVectorModels, Service):
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
        self._picked = PickedRoutes()

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

    # -- embeddings ---------------------------------------------------------------------------------

    async def embed(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        if not request.images:
            return await self._embed_texts(endpoint, request)
        _, protocol, route, call = self._route(endpoint, "image_embed", ImageEmbedProtocol, request)
        send = image_sender(self.upstream, call, protocol, route.address, seen=answered(endpoint, route))
        pictured = lambda images: embed_in_batches(send, images, batch_size=protocol.batch)  # noqa: E731
        return await embed_mixed(request, texts=lambda texts: self._embed_texts(endpoint, texts), images=pictured)

    async def takes_images(self, endpoint: Endpoint) -> bool:
        return takes_images(endpoint)

    async def _embed_texts(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        settings, protocol, route, call = self._route(endpoint, "embed", EmbedProtocol, request)
        texts = cut_to_tokens(request.texts, settings.max_input_tokens)
        info = await self._info(route, call)
        payload = lambda batch: protocol.payload(route.address, batch, normalize=request.normalize)  # noqa: E731
        vectors = await self._batched(endpoint, protocol, route, call, texts=texts, info=info, payload=payload)
        return EmbeddingResult(embeddings=vectors, usage=await self.usage.prompt(settings, texts, info=info))

    async def sparse_weights(self, endpoint: Endpoint, request: EmbedRequest) -> SparseWeights:
        settings, protocol, route, call = self._route(endpoint, "sparse", SparseProtocol, request)
        texts = cut_to_tokens(request.texts, settings.max_input_tokens)
        info = await self._info(route, call)
        weights = await self._batched(endpoint, protocol, route, call, texts=texts, info=info)
        return SparseWeights(weights=weights, usage=await self.usage.prompt(settings, texts))

    async def token_names(self, endpoint: Endpoint) -> TokenNames:
        return (await self.usage.vocabulary(HfSettings.of(endpoint.service_settings))).named

    # -- completion and chat ------------------------------------------------------------------------

    async def generate(self, endpoint: Endpoint, request: GenerateRequest) -> Generation:
        kind = _completion_kind(endpoint)
        if kind == "chat":
            return await self.chat(endpoint, as_chat(request))
        settings, protocol, route, call = self._route(endpoint, kind, GenerateProtocol, request)
        answer = await generate_once(
            self.upstream, call, protocol, route, prompt=request.prompt, settings=endpoint.task_settings,
            params=request.params, seen=answered(endpoint, route),
        )  # fmt: skip
        return await self.usage.generation(settings, answer, prompts=[request.prompt], params=request.params)

    async def generate_stream(self, endpoint: Endpoint, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        kind = _completion_kind(endpoint)
        if kind == "chat":
            async for delta in self.chat_stream(endpoint, as_chat(request)):
                yield delta
            return
        settings, protocol, route, call = self._route(endpoint, kind, GenerateProtocol, request)
        if not protocol.streams:  # a text2text pipeline does not stream: the whole answer is one piece
            done = await self.generate(endpoint, request)
            yield GenerationDelta(text=done.text, finish_reason=done.finish_reason, usage=done.usage)
            return
        payload = protocol.payload(
            route.address, request.prompt, settings=endpoint.task_settings, params=request.params, stream=True
        )
        deltas = stream_generation(
            self.upstream, call, protocol.url(route.address, stream=True), payload=payload,
            parse=protocol.parse_event, seen=answered(endpoint, route),
            count=lambda: self.usage.count(settings, [request.prompt]),
        )  # fmt: skip
        async for delta in deltas:
            yield delta

    async def chat(self, endpoint: Endpoint, request: ChatRequest) -> Generation:
        settings, protocol, route, call = self._route(endpoint, "chat", ChatProtocol, request)
        payload = protocol.payload(
            route.address, request.messages, settings=endpoint.task_settings, params=request.params, stream=False,
            tools=wire_tools(request, route),
        )  # fmt: skip
        answer = await self.upstream.post_json(
            call, protocol.url(route.address), payload=payload, parse=protocol.parse, seen=answered(endpoint, route)
        )
        return await self.usage.generation(settings, answer, prompts=prompt_texts(request), params=request.params)

    async def chat_stream(self, endpoint: Endpoint, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        settings, protocol, route, call = self._route(endpoint, "chat", ChatProtocol, request)
        payload = protocol.payload(
            route.address, request.messages, settings=endpoint.task_settings, params=request.params, stream=True,
            tools=wire_tools(request, route),
        )  # fmt: skip
        prompts = prompt_texts(request)
        deltas = stream_generation(
            self.upstream, call, protocol.url(route.address), payload=payload, parse=protocol.parse_event,
            seen=answered(endpoint, route), count=lambda: self.usage.count(settings, prompts),
        )  # fmt: skip
        async for delta in deltas:
            yield delta

    async def rerank_scores(self, endpoint: Endpoint, request: RerankRequest) -> RerankScores:
        settings, protocol, route, call = self._route(endpoint, "rerank", RerankProtocol, request)
        count = len(request.documents)
        scores = await self.upstream.post_json(
            call,
            protocol.url(route.address),
            payload=protocol.payload(route.address, request.query, request.documents),
            parse=lambda body: by_document(protocol.parse(body, count=count), count=count),
            seen=answered(endpoint, route),
        )
        counted = await self.usage.count(settings, [request.query, *request.documents])
        return RerankScores(scores=scores, usage=Usage(prompt_tokens=counted or 0))

    async def aclose(self) -> None:
        await self.upstream.aclose()

    # -- shared -------------------------------------------------------------------------------------

    def _route(
        self, endpoint: Endpoint, kind: Kind, expected: type[P], request: Any
    ) -> tuple[HfSettings, P, Route, Call]:
        """The settings, protocol, route and call of a request, with its deadline; a generation's call
        carries its session key (``session_key.affinity_of``)."""
        settings, protocol, route = self._picked.get(endpoint, kind, expected, config=self.context.settings)
        call = call_for(endpoint, settings, route, request=request, affinity=affinity_of(settings, request))
        return settings, protocol, route, call

    async def _batched(
        self,
        endpoint: Endpoint,
        protocol: Batched[R],
        route: Route,
        call: Call,
        *,
        texts: list[str],
        info: ServerInfo,
        payload: Callable[[list[str]], dict[str, Any]] | None = None,
    ) -> list[R]:
        """One answer per text, sent in batches the server takes (the request's deadline bounds them all); ``payload``
        builds a batch's body when the request adds options to the protocol's own (``normalize``)."""
        url, seen = protocol.url(route.address), answered(endpoint, route)
        body_of = payload or (lambda batch: protocol.payload(route.address, batch))

        async def send(batch: list[str]) -> list[R]:
            body, count = body_of(batch), len(batch)
            parse = lambda answer: protocol.parse(answer, count=count)  # noqa: E731
            return await self.upstream.post_json(call, url, payload=body, parse=parse, seen=seen)

        batch_size = info.max_client_batch_size or DEFAULT_BATCH_SIZE
        return await embed_in_batches(send, texts, batch_size=batch_size)

    async def _info(self, route: Route, call: Call) -> ServerInfo:
        return ServerInfo() if route.hosted else await self.infos.get(route.address.root, call)


def _completion_kind(endpoint: Endpoint) -> Kind:
    return _COMPLETION_KINDS.get(endpoint.service_settings.get("task"), "generate")
