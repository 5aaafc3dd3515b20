"""Elasticsearch-shaped inference: ``POST _inference/{task_type}/{id}``, ``…/_stream`` and ``_chunk``.

Each route is declared once (:mod:`hfgate.api.declare`); inference and streaming take only path strings,
the request and the orchestrator, so each is a plain Starlette route, matched before the FastAPI routes:
this is the gateway's hot path. Which fields a body may have follows the endpoint's task type: each task
type's handler decodes the body into its model (:mod:`hfgate.api.es.schema`, which documents them too), and
the refusals are in Elasticsearch's words, which its clients show (:mod:`hfgate.api.es.requests`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import replace
from typing import Any, Protocol

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.convertors import Convertor, register_url_convertor

from hfgate.access.roles import Role
from hfgate.api.body import json_object, json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.es import shapes as es_shapes
from hfgate.api.es.embedding import embedding_inputs, embeddings_body
from hfgate.api.es.errors import FACE as ES
from hfgate.api.es.errors import es_error_body
from hfgate.api.es.requests import (
    chat_request,
    embed_request,
    es_body,
    generate_requests,
    input_type,
    parse_duration,
    required_input,
    rerank_request,
)
from hfgate.api.es.schema import (
    ChunkRequest,
    ChunkResult,
    EsCompletionBody,
    EsEmbedBody,
    EsEmbeddingBody,
    InferenceRequest,
    InferenceResult,
    StreamRequest,
)
from hfgate.api.sse import event_stream, sse
from hfgate.chunking import chunk
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.orchestrator.endpoint_body import chunking_for
from hfgate.orchestrator.lookup import parse_task_type
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import EmbedRequest, TaskType

ROUTES = FaceRoutes(ES, tag="_inference: inference", error=None)


class EndpointIdConvertor(Convertor[str]):
    """An inference id in a path: never starts with ``_``, so ``_stream``, ``_update``, ``_all``,
    ``_services`` and ``_chunk`` can never be taken for one."""

    regex = "[^_/][^/]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("endpoint_id", EndpointIdConvertor())


_ID = "/_inference/{task_type}/{inference_id}"


class Handler(Protocol):
    """Runs one task type's request for the ES face (within the deadline :func:`_infer` opens)."""

    def __call__(
        self, orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]
    ) -> Awaitable[dict[str, Any]]: ...


async def _text_embedding(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> dict[str, Any]:
    decoded = es_body(body, EsEmbedBody)
    request = embed_request(endpoint, decoded)
    if decoded.chunked:
        return es_shapes.chunked_text_embedding(await orch.embed_chunked(endpoint, request))
    return es_shapes.text_embedding(await orch.embed(endpoint, request))


async def _embedding(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> dict[str, Any]:
    """Elasticsearch 9.4's ``embedding`` task, on an embedding or text_embedding endpoint (``api.es.embedding``)."""
    decoded = es_body(body, EsEmbeddingBody)
    texts, images = embedding_inputs(decoded.input)
    request = EmbedRequest(
        texts=texts, images=images, input_type=input_type(decoded.input_type), task_settings=endpoint.task_settings
    )
    return embeddings_body((await orch.embed(endpoint, request)).embeddings)


async def _sparse_embedding(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> dict[str, Any]:
    request = embed_request(endpoint, es_body(body, EsEmbedBody))
    return es_shapes.sparse_embedding(await orch.sparse_embed(endpoint, request))


async def _completion(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> dict[str, Any]:
    requests = generate_requests(endpoint, es_body(body, EsCompletionBody))
    return es_shapes.completion([await orch.generate(endpoint, request) for request in requests])


async def _rerank(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> dict[str, Any]:
    return es_shapes.rerank(await orch.rerank(endpoint, rerank_request(endpoint, es_body(body, EsEmbedBody))))


async def _chat_completion(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> dict[str, Any]:
    raise BadRequestError(
        "The [chat_completion] task type only supports streaming, please try again with the _stream API: "
        f"POST _inference/chat_completion/{endpoint.inference_id}/_stream"
    )


HANDLERS: dict[TaskType, Handler] = {
    TaskType.TEXT_EMBEDDING: _text_embedding,
    TaskType.EMBEDDING: _embedding,
    TaskType.SPARSE_EMBEDDING: _sparse_embedding,
    TaskType.COMPLETION: _completion,
    TaskType.RERANK: _rerank,
    TaskType.CHAT_COMPLETION: _chat_completion,
}


@ROUTES.post(
    "/_inference/{task_type}/{inference_id:endpoint_id}", role=Role.INFER, body=InferenceRequest,
    answer=InferenceResult, query=("timeout",), operation_id="es_infer",
)  # fmt: skip
async def infer(task_type: str, inference_id: str, *, request: Request, orch: OrchestratorDep) -> Response:
    """Run inference: embeddings, completion or rerank, by the endpoint's task type (``?timeout``: how long
    to wait, the orchestrator's default for the task type otherwise)."""
    timeout = request.query_params.get("timeout")
    return json_response(await _infer(orch, request, inference_id=inference_id, task_type=task_type, timeout=timeout))


@ROUTES.post(
    "/_inference/{inference_id:endpoint_id}", role=Role.INFER, body=InferenceRequest, answer=InferenceResult,
    query=("timeout",),
)  # fmt: skip
async def infer_by_id(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    timeout = request.query_params.get("timeout")
    return json_response(await _infer(orch, request, inference_id=inference_id, task_type=None, timeout=timeout))


@ROUTES.post("/_inference/_chunk", role=Role.INFER, body=ChunkRequest, answer=ChunkResult)
async def chunk_texts(request: Request) -> Response:
    """Our extension: how inputs would be cut, without calling any model."""
    body = es_body(await json_object(request), ChunkRequest)
    texts = required_input(body.input)
    settings = chunking_for(TaskType.TEXT_EMBEDDING, body.chunking_settings)
    return json_response(es_shapes.chunks(texts, [chunk(text, settings) for text in texts]))


@ROUTES.post("/_inference/{inference_id}/_stream", role=Role.INFER, body=StreamRequest, stream=True)
async def stream_by_id(inference_id: str, request: Request, *, orch: OrchestratorDep) -> StreamingResponse:
    return await _stream(orch, request, inference_id=inference_id, task_type=None)


@ROUTES.post(f"{_ID}/_stream", role=Role.INFER, body=StreamRequest, stream=True)
async def stream(task_type: str, inference_id: str, *, request: Request, orch: OrchestratorDep) -> StreamingResponse:
    """Server-sent events for completion and chat_completion."""
    return await _stream(orch, request, inference_id=inference_id, task_type=task_type)


async def _infer(
    orch: Orchestrator, request: Request, *, inference_id: str, task_type: str | None, timeout: str | None
) -> dict[str, Any]:
    body = await json_object(request)
    endpoint = _with_call_settings(orch, await orch.endpoint_for(inference_id, task_type), body=body)
    kind = _effective(endpoint, task_type)
    async with orch.deadline(kind, asked=parse_duration(timeout)):  # one for the request's every input
        return await HANDLERS[kind](orch, endpoint, body=body)


def _effective(endpoint: Endpoint, task_type: str | None) -> TaskType:
    """The task to run: the one in the URL (a generating model answers both completion and
    chat_completion), else the endpoint's own.

    Raises:
        BadRequestError: a Hub task Elasticsearch has no name for: served on ``/hf/{id}``.
    """
    kind = parse_task_type(task_type) if task_type is not None else endpoint.task_type
    if kind.hub_pipeline:
        raise BadRequestError(
            f"Elasticsearch's _inference API has no [{kind.value}] task; endpoint [{endpoint.inference_id}] answers "
            f"it on the Hugging Face Inference API: POST /hf/{endpoint.inference_id} with "
            '{"inputs": …, "parameters": {…}} (see docs/tasks.md)',
            param="task_type",
        )
    return kind


def _with_call_settings(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> Endpoint:
    """The endpoint with this call's ``task_settings`` (checked) over its stored ones: services read
    task settings from the endpoint they are given."""
    if body.get("task_settings") is None:
        return endpoint
    return replace(endpoint, task_settings=orch.task_settings(endpoint, body["task_settings"]))


async def _stream(
    orch: Orchestrator, request: Request, *, inference_id: str, task_type: str | None
) -> StreamingResponse:
    body = await json_object(request)
    endpoint = _with_call_settings(orch, await orch.endpoint_for(inference_id, task_type), body=body)
    kind = _effective(endpoint, task_type)
    if not kind.streams:
        raise BadRequestError(
            f"Streaming is not allowed for task type [{kind.value}]; it is offered for [completion, chat_completion]"
        )
    build = _chat_events if kind is TaskType.CHAT_COMPLETION else _completion_events
    events = build(orch, endpoint, body=body)
    return await event_stream(events, on_error=lambda exc: sse(es_error_body(exc), event="error"))


def _completion_events(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> AsyncIterator[bytes]:
    requests = generate_requests(endpoint, es_body(body, EsCompletionBody))
    if len(requests) != 1:
        raise RequestValidationError(
            [f"Streaming completion takes exactly one input, got [{len(requests)}]; send one per request"],
            param="input",
        )
    deltas = orch.generate_stream(endpoint, requests[0])

    async def events() -> AsyncIterator[bytes]:
        async for delta in deltas:
            if delta.text:
                yield sse(es_shapes.completion_delta(delta), event="message")
        yield sse("[DONE]", event="message")

    return events()


def _chat_events(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> AsyncIterator[bytes]:
    chat = chat_request(orch, endpoint, body=body)
    deltas = orch.chat_stream(endpoint, chat)
    chunk_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    model = str(body.get("model") or endpoint.inference_id)

    async def events() -> AsyncIterator[bytes]:
        first = True
        async for delta in deltas:
            yield sse(es_shapes.chat_chunk(delta, chunk_id=chunk_id, model=model, first=first), event="message")
            first = False
        yield sse("[DONE]", event="message")

    return events()
