"""One ``hugging_face`` endpoint opened for requests: each task method asks :func:`~.routing.pick` (once per
kind of call, kept with the model) for the protocol and its address, then speaks it through the service's
one :class:`~hfgate.upstream.http.client.UpstreamClient`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any, TypeVar

from hfgate.pipelines import PipelineAnswer, PipelineRequest, pipeline_for
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model, Service, TokenNames
from hfgate.services.hugging_face import responses
from hfgate.services.hugging_face.accounting import Accounting, model_of
from hfgate.services.hugging_face.calls import answered, as_chat, call_for, prompt_texts, wire_tools
from hfgate.services.hugging_face.generation import generate_once, stream_generation
from hfgate.services.hugging_face.identity import vector_model_of
from hfgate.services.hugging_face.images import embed_mixed, image_sender, takes_images
from hfgate.services.hugging_face.labels import Labels
from hfgate.services.hugging_face.routing import ROUTER, Route, pick
from hfgate.services.hugging_face.server_info import ServerInfos
from hfgate.services.hugging_face.session_key import affinity_of
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import (
    ChatRequest,
    EmbeddingResult,
    EmbedRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    RelayedEvent,
    RelayedResponse,
    RerankRequest,
    RerankScores,
    ResponsesRelay,
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
    PipelineProtocol,
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


class HuggingFaceModel(Model):
    """A model by hosted ``model_id`` or by server ``url``, as one endpoint serves it."""

    def __init__(
        self, service: Service, endpoint: Endpoint, *, upstream: UpstreamClient, usage: Accounting, infos: ServerInfos
    ) -> None:
        super().__init__(service, endpoint)
        self.settings = HfSettings.of(endpoint.service_settings)
        self.vector_model = vector_model_of(self.settings, endpoint.task_type)
        self._routes: dict[Kind, tuple[Protocol, Route]] = {}
        self._upstream = upstream
        self._usage = usage
        self._infos = infos
        self._labels = Labels()

    # -- embeddings ---------------------------------------------------------------------------------

    async def embed(self, request: EmbedRequest) -> EmbeddingResult:
        if not request.images:
            return await self._embed_texts(request)
        protocol, route, call = self._route("image_embed", ImageEmbedProtocol, request)
        send = image_sender(self._upstream, call, protocol, route.address, seen=answered(self.endpoint, route))
        pictured = lambda images: embed_in_batches(send, images, batch_size=protocol.batch)  # noqa: E731
        return await embed_mixed(request, texts=self._embed_texts, images=pictured)

    async def takes_images(self) -> bool:
        return takes_images(self.endpoint)

    async def _embed_texts(self, request: EmbedRequest) -> EmbeddingResult:
        protocol, route, call = self._route("embed", EmbedProtocol, request)
        texts = cut_to_tokens(request.texts, self.settings.max_input_tokens)
        info = await self._info(route, call)
        payload = lambda batch: protocol.payload(route.address, batch, normalize=request.normalize)  # noqa: E731
        vectors = await self._batched(protocol, route, call, texts=texts, info=info, payload=payload)
        return EmbeddingResult(embeddings=vectors, usage=await self._usage.prompt(self.settings, texts, info=info))

    async def sparse_weights(self, request: EmbedRequest) -> SparseWeights:
        protocol, route, call = self._route("sparse", SparseProtocol, request)
        texts = cut_to_tokens(request.texts, self.settings.max_input_tokens)
        info = await self._info(route, call)
        weights = await self._batched(protocol, route, call, texts=texts, info=info)
        return SparseWeights(weights=weights, usage=await self._usage.prompt(self.settings, texts))

    async def token_names(self) -> TokenNames:
        return (await self._usage.vocabulary(self.settings)).named

    # -- completion and chat ------------------------------------------------------------------------

    async def generate(self, request: GenerateRequest) -> Generation:
        kind = self._completion_kind()
        if kind == "chat":
            return await self.chat(as_chat(request))
        protocol, route, call = self._route(kind, GenerateProtocol, request)
        answer = await generate_once(
            self._upstream, call, protocol, route, prompt=request.prompt, settings=self.endpoint.task_settings,
            params=request.params, seen=answered(self.endpoint, route),
        )  # fmt: skip
        return await self._usage.generation(self.settings, answer, prompts=[request.prompt], params=request.params)

    async def generate_stream(self, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        kind = self._completion_kind()
        if kind == "chat":
            async for delta in self.chat_stream(as_chat(request)):
                yield delta
            return
        protocol, route, call = self._route(kind, GenerateProtocol, request)
        if not protocol.streams:  # a text2text pipeline does not stream: the whole answer is one piece
            done = await self.generate(request)
            yield GenerationDelta(text=done.text, finish_reason=done.finish_reason, usage=done.usage)
            return
        payload = protocol.payload(
            route.address, request.prompt, settings=self.endpoint.task_settings, params=request.params, stream=True
        )
        deltas = stream_generation(
            self._upstream, call, protocol.url(route.address, stream=True), payload=payload,
            parse=protocol.parse_event, seen=answered(self.endpoint, route),
            count=lambda: self._usage.count(self.settings, [request.prompt]),
        )  # fmt: skip
        async for delta in deltas:
            yield delta

    async def chat(self, request: ChatRequest) -> Generation:
        protocol, route, call = self._route("chat", ChatProtocol, request)
        payload = protocol.payload(
            route.address, request.messages, settings=self.endpoint.task_settings, params=request.params,
            stream=False, tools=wire_tools(request, route),
        )  # fmt: skip
        answer = await self._upstream.post_json(
            call, protocol.url(route.address), payload=payload, parse=protocol.parse,
            seen=answered(self.endpoint, route),
        )  # fmt: skip
        return await self._usage.generation(self.settings, answer, prompts=prompt_texts(request), params=request.params)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        protocol, route, call = self._route("chat", ChatProtocol, request)
        payload = protocol.payload(
            route.address, request.messages, settings=self.endpoint.task_settings, params=request.params,
            stream=True, tools=wire_tools(request, route),
        )  # fmt: skip
        prompts = prompt_texts(request)
        deltas = stream_generation(
            self._upstream, call, protocol.url(route.address), payload=payload, parse=protocol.parse_event,
            seen=answered(self.endpoint, route), count=lambda: self._usage.count(self.settings, prompts),
        )  # fmt: skip
        async for delta in deltas:
            yield delta

    async def rerank_scores(self, request: RerankRequest) -> RerankScores:
        protocol, route, call = self._route("rerank", RerankProtocol, request)
        count = len(request.documents)
        scores = await self._upstream.post_json(
            call,
            protocol.url(route.address),
            payload=protocol.payload(route.address, request.query, request.documents),
            parse=lambda body: by_document(protocol.parse(body, count=count), count=count),
            seen=answered(self.endpoint, route),
        )
        counted = await self._usage.count(self.settings, [request.query, *request.documents])
        return RerankScores(scores=scores, usage=Usage(prompt_tokens=counted or 0))

    # -- the Hub's other tasks ----------------------------------------------------------------------

    async def pipeline(self, request: PipelineRequest) -> PipelineAnswer:
        """The endpoint's Hub task, in the Inference API's shape, answered as ``InferenceClient`` reads it."""
        protocol, route, call = self._route("pipeline", PipelineProtocol, request)
        task = pipeline_for(self.endpoint.task_type)
        labels = () if route.hosted else await self._labels.get(model_of(self.settings))
        at = replace(route.address, labels=labels)
        body = await self._upstream.post_json(
            replace(call, extra_headers={**call.extra_headers, **protocol.headers(at, task)}),
            protocol.url(at, task),
            payload=protocol.payload(at, task, request),
            parse=lambda answer: protocol.parse(at, task, request, answer),
            seen=answered(self.endpoint, route),
        )
        return PipelineAnswer(body=body, labels=labels)

    # -- the Responses API, relayed to the router ---------------------------------------------------

    def relays_responses(self) -> bool:
        """A chat endpoint whose chat goes to the router (:mod:`.responses` says why only those)."""
        if self.endpoint.task_type is not TaskType.CHAT_COMPLETION:
            return False
        return self._picked("chat", ChatProtocol)[1].by == ROUTER

    async def respond(self, request: ResponsesRelay) -> RelayedResponse:
        route = self._picked("chat", ChatProtocol)[1]
        call = call_for(self.endpoint, self.settings, route, request=request)
        return await responses.respond(self._upstream, call, route, request, seen=answered(self.endpoint, route))

    def respond_stream(self, request: ResponsesRelay) -> AsyncIterator[RelayedEvent]:
        route = self._picked("chat", ChatProtocol)[1]
        call = call_for(self.endpoint, self.settings, route, request=request)
        return responses.respond_stream(self._upstream, call, route, request, seen=answered(self.endpoint, route))

    # -- shared -------------------------------------------------------------------------------------

    def _picked(self, kind: Kind, expected: type[P]) -> tuple[P, Route]:
        """:func:`pick`'s answer for ``kind``, asked once per model."""
        known = self._routes.get(kind)
        if known is None or not isinstance(known[0], expected):
            known = self._routes[kind] = pick(self.settings, kind, expected, config=self.service.context.settings)
        return known  # type: ignore[return-value]  # checked against ``expected`` above

    def _route(self, kind: Kind, expected: type[P], request: Any) -> tuple[P, Route, Call]:
        """The protocol, route and call of a request, with its deadline; a generation's call carries its
        session key (``session_key.affinity_of``)."""
        protocol, route = self._picked(kind, expected)
        call = call_for(
            self.endpoint, self.settings, route, request=request, affinity=affinity_of(self.settings, request)
        )
        return protocol, route, call

    async def _batched(
        self,
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
        url, seen = protocol.url(route.address), answered(self.endpoint, route)
        body_of = payload or (lambda batch: protocol.payload(route.address, batch))

        async def send(batch: list[str]) -> list[R]:
            body, count = body_of(batch), len(batch)
            parse = lambda answer: protocol.parse(answer, count=count)  # noqa: E731
            return await self._upstream.post_json(call, url, payload=body, parse=parse, seen=seen)

        batch_size = info.max_client_batch_size or DEFAULT_BATCH_SIZE
        return await embed_in_batches(send, texts, batch_size=batch_size)

    async def _info(self, route: Route, call: Call) -> ServerInfo:
        return ServerInfo() if route.hosted else await self._infos.get(route.address.root, call)

    def _completion_kind(self) -> Kind:
        return _COMPLETION_KINDS.get(self.endpoint.service_settings.get("task"), "generate")
