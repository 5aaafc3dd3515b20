"""Inference on an endpoint, for every face: the look-up, the embedding cache's read-through, the service call,
within the request's one deadline (:mod:`hfgate.orchestrator.running`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any, TypeVar

from hfgate.access.principal import check_endpoint
from hfgate.access.spend import DEFAULT_OUTPUT_BOUND
from hfgate.errors import BadRequestError
from hfgate.orchestrator.cache import CacheFront, StoredChunk
from hfgate.orchestrator.chunked import ChunkedEmbeddings, chunk_request, regroup
from hfgate.orchestrator.endpoint_body import check_task_settings
from hfgate.orchestrator.lookup import EndpointLookup, check_inference_kind
from hfgate.orchestrator.running import LastCalls, Runner, count_tokens, reserve_for, writes
from hfgate.pipelines import PipelineAnswer, PipelineRequest
from hfgate.registry.endpoint import Endpoint
from hfgate.services import Service, service_class
from hfgate.services.base import Model
from hfgate.services.spec import merged_params
from hfgate.tasks import (
    ChatRequest,
    EmbeddingResult,
    EmbedRequest,
    GenerateRequest,
    Generation,
    GenerationDelta,
    GenerationParams,
    RelayedEvent,
    RelayedResponse,
    RerankRequest,
    RerankResult,
    ResponsesRelay,
    SparseEmbeddingResult,
    SparseWeights,
    TaskType,
    TokenSpan,
)
from hfgate.telemetry.metrics import AUDIO_SECONDS
from hfgate.telemetry.request_scope import name_endpoint
from hfgate.upstream.engines import image_engines

CHARS_PER_TOKEN = 4
"""The token estimate of a text hfgate cannot tokenize: a rough rule for English."""

Q = TypeVar("Q", EmbedRequest, GenerateRequest, ChatRequest, RerankRequest, ResponsesRelay, PipelineRequest)


class Inference:
    """The inference half of the :class:`~hfgate.orchestrator.Orchestrator`, which builds the state below."""

    services: Mapping[str, Service]
    cached: CacheFront
    last_calls: LastCalls
    _lookup: EndpointLookup
    _runner: Runner

    async def endpoint_for(self, inference_id: str, task_type: str | TaskType | None) -> Endpoint:
        """The endpoint inference runs on, checked against the requested task type and the caller's key."""
        check_endpoint(inference_id)
        endpoint = await self._lookup.get(inference_id)
        check_inference_kind(endpoint, task_type)
        name_endpoint(inference_id, endpoint.task_type.value)
        return endpoint

    def deadline(self, task_type: TaskType, *, asked: float | None = None) -> AbstractAsyncContextManager[float]:
        """One deadline around a block of several calls of one request (a face's several inputs), ``asked``
        seconds where the client's protocol lets it ask (Elasticsearch's ``?timeout=``), else the task
        type's default; the calls within join it. Yields its seconds.

        Raises:
            RequestTimeoutError: the deadline passed before the block ended.
        """
        return self._runner.deadlines.bound(task_type, asked=asked)

    def task_settings(self, endpoint: Endpoint, override: Any) -> dict[str, Any]:
        """The endpoint's stored task settings with a request's checked override on top."""
        service = type(self._service(endpoint.service))
        return {**endpoint.task_settings, **check_task_settings(service, endpoint.task_type, raw=override)}

    def generation_params(self, endpoint: Endpoint, given: GenerationParams | None = None) -> GenerationParams:
        """``given`` with every unset field taken from the endpoint's stored task settings (the one merge:
        services take the parameters as given them)."""
        return merged_params(endpoint.task_settings, given)

    def model(self, endpoint: Endpoint) -> Model:
        """``endpoint``'s model object (its service's ``open``), kept with the endpoint's entry."""
        return self._lookup.model(endpoint)

    async def embed(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        """``request``'s vectors, from the embedding cache where it holds them (``cache/``)."""
        return await self._runner.run(endpoint, lambda e: self._embed(e, self._timed(e, request)))

    async def _embed(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        model = self.model(endpoint)
        image = next((image for image in request.images if image is not None), None)
        if image is not None and not await model.takes_images():
            named = image.type_field or f"{image.field}.type"
            raise BadRequestError(
                f"Field {named} [image] is not supported: the model of endpoint [{endpoint.inference_id}] embeds "
                "[text] only; send text, or create the endpoint on an image-and-text model (a CLIP or SigLIP model "
                "as sentence-transformers loads it, on the local service; or, on the hugging_face service, one "
                f"served by an engine that embeds images: {', '.join(image_engines())})",
                param=named,
            )
        return await self.cached.embed(model, request)

    async def embed_chunked(self, endpoint: Endpoint, request: EmbedRequest) -> ChunkedEmbeddings:
        """Chunk each input with the endpoint's settings and embed every chunk."""
        async with self.deadline(endpoint.task_type):  # the tokenizing and the embedding, together
            offsets = await self.cached.spans(self.model(endpoint), request.texts)
            result = await self.embed(endpoint, chunk_request(request, request.texts, offsets=offsets))
        return regroup(request.texts, offsets, vectors=result.embeddings, usage=result.usage)

    async def cached_chunked(self, endpoint: Endpoint, request: EmbedRequest) -> list[list[StoredChunk] | None]:
        """Each input's chunks when the embedding cache holds every one of them (their vectors packed),
        else ``None``: what ``embed-corpus`` need not send (it then batches only the inputs that
        changed). Computes nothing."""
        return await self.cached.stored_chunks(self.model(endpoint), request)

    async def sparse_embed(self, endpoint: Endpoint, request: EmbedRequest) -> SparseEmbeddingResult:
        """``request``'s sparse vectors, from the embedding cache where it holds them (``cache/sparse.py``)."""
        return await self._runner.run(
            endpoint, lambda e: self.cached.sparse_embed(self.model(e), self._timed(e, request))
        )

    async def sparse_weights(self, endpoint: Endpoint, request: EmbedRequest) -> SparseWeights:
        """``request``'s sparse vectors by vocabulary id, unnamed (TEI's ``/embed_sparse``), cached alike."""
        return await self._runner.run(
            endpoint, lambda e: self.cached.sparse_weights(self.model(e), self._timed(e, request))
        )

    async def generate(self, endpoint: Endpoint, request: GenerateRequest) -> Generation:
        return await self._runner.run(
            endpoint,
            lambda e: self.model(e).generate(self._timed(e, request)),
            writes=writes(request.params),
        )

    def generate_stream(self, endpoint: Endpoint, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        return self._runner.stream(
            endpoint,
            lambda e: self.model(e).generate_stream(self._timed(e, request)),
            writes=writes(request.params),
        )

    async def generate_collected(self, endpoint: Endpoint, request: GenerateRequest) -> list[GenerationDelta]:
        """Every piece of a generation asked for whole but read piece by piece (TGI's ``details``, a stop
        string to keep): the deadline bounds the whole, as for :meth:`generate`; a stream given up is closed
        as it is dropped, which ends its sequence in the model.

        Raises:
            RequestTimeoutError: the generation did not end within the deadline.
        """
        async with self.deadline(endpoint.task_type):
            return [delta async for delta in self.generate_stream(endpoint, request)]

    async def chat(self, endpoint: Endpoint, request: ChatRequest) -> Generation:
        return await self._runner.run(
            endpoint, lambda e: self.model(e).chat(self._timed(e, request)), writes=writes(request.params)
        )

    def chat_stream(self, endpoint: Endpoint, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        return self._runner.stream(
            endpoint,
            lambda e: self.model(e).chat_stream(self._timed(e, request)),
            writes=writes(request.params),
        )

    def relays_responses(self, endpoint: Endpoint) -> bool:
        """Whether ``endpoint``'s upstream answers ``/v1/responses`` itself (the router, for a hosted model)."""
        return self.model(endpoint).relays_responses()

    async def respond(self, endpoint: Endpoint, request: ResponsesRelay) -> RelayedResponse:
        """The upstream's own response (no fallback: another endpoint may not serve the Responses API)."""
        async with self.deadline(endpoint.task_type):
            await reserve_for(endpoint, writes=DEFAULT_OUTPUT_BOUND)
            work = self.model(endpoint).respond(self._timed(endpoint, request))
            result = await self.last_calls.track(endpoint.inference_id, work)
        count_tokens(endpoint, result.usage)
        return result

    async def respond_stream(self, endpoint: Endpoint, request: ResponsesRelay) -> AsyncIterator[RelayedEvent]:
        """The upstream's stream events, as it sent them (the deadline bounds the upstream's call)."""
        await reserve_for(endpoint, writes=DEFAULT_OUTPUT_BOUND)
        events = self.model(endpoint).respond_stream(self._timed(endpoint, request))
        async for event in self.last_calls.track_stream(endpoint.inference_id, events):
            if event.final is not None:
                count_tokens(endpoint, event.final.usage)
            yield event

    async def rerank(self, endpoint: Endpoint, request: RerankRequest) -> RerankResult:
        """``request``'s documents ranked, with the scores the embedding cache holds (``cache/rerank.py``)."""
        return await self._runner.run(endpoint, lambda e: self.cached.rerank(self.model(e), self._timed(e, request)))

    async def pipeline(self, endpoint: Endpoint, request: PipelineRequest) -> PipelineAnswer:
        """The answer to a request of one of the Hub's tasks (``hfgate.pipelines``), within its deadline,
        counted and recorded as every inference call."""
        answer = await self._runner.run(endpoint, lambda e: self.model(e).pipeline(self._timed(e, request)))
        if answer.audio_seconds:
            AUDIO_SECONDS(endpoint.inference_id).inc(answer.audio_seconds)
        return answer

    async def tokenize(
        self, endpoint: Endpoint, texts: Sequence[str], *, add_special_tokens: bool = True
    ) -> list[list[TokenSpan]]:
        return await self.model(endpoint).tokenize(texts, add_special_tokens=add_special_tokens)

    async def decode(
        self, endpoint: Endpoint, ids: Sequence[Sequence[int]], *, skip_special_tokens: bool = True
    ) -> list[str]:
        """Each row of ``ids`` as text, by the endpoint's tokenizer (:meth:`tokenize` back)."""
        return await self.model(endpoint).decode(ids, skip_special_tokens=skip_special_tokens)

    async def count_chat_tokens(self, endpoint: Endpoint, request: ChatRequest, *, texts: Sequence[str]) -> int:
        """The prompt ``request`` would take: on a service that renders chats itself (the local one), the chat
        template over the conversation and tools; elsewhere ``texts`` (what the face counts of the request)
        by the model's tokenizer, or :data:`CHARS_PER_TOKEN` characters a token where hfgate cannot load it
        (the template's own tokens then not counted)."""
        try:
            return await self.model(endpoint).count_chat_tokens(request)
        except BadRequestError:  # a service that cannot render the chat itself: count its texts
            pass
        try:
            spans = await self.tokenize(endpoint, texts, add_special_tokens=False)
        except BadRequestError:  # nor tokenize for this endpoint
            return sum(-(-len(text) // CHARS_PER_TOKEN) for text in texts)
        return sum(len(s) for s in spans)

    def _timed(self, endpoint: Endpoint, request: Q) -> Q:
        """``request`` with the deadline's seconds, for the service to give its upstream calls."""
        return replace(request, timeout=self._runner.deadlines.seconds(endpoint.task_type))

    def _service(self, name: str) -> Service:
        service_class(name)  # raises "Unknown service [name]"
        return self.services[name]

    def _open(self, endpoint: Endpoint) -> Model:
        return self._service(endpoint.service).open(endpoint)
