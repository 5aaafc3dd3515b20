"""Gemini's API over any hfgate endpoint: ``generateContent``, ``streamGenerateContent``, ``countTokens``,
``embedContent``, ``batchEmbedContents`` and the model list, under ``/v1beta/models``.

``{model}`` is an hfgate endpoint's id (a chat endpoint to generate and count, a text embedding endpoint
to embed), as ``model`` is on the OpenAI face. A request is read into the chat or embedding request the
other faces send (``requests``, ``conversation``), answered by the endpoint (keys, limits, usage, metrics
and the embedding cache apply as everywhere) and shaped back (``shapes``). The gateway key comes in
``x-goog-api-key`` (as ``google-genai`` and Gemini CLI send it), ``?key=``, or ``Authorization: Bearer``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from hfgate.access.roles import Role
from hfgate.api.body import json_response, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.gemini import schema, shapes
from hfgate.api.gemini.embedding import embed_requests
from hfgate.api.gemini.errors import FACE as GEMINI
from hfgate.api.gemini.errors import error_body
from hfgate.api.gemini.requests import GeminiCall, read_call
from hfgate.api.sse import chained, event_stream, sse
from hfgate.errors import BadRequestError, HfGateError
from hfgate.orchestrator import Orchestrator
from hfgate.orchestrator.lookup import check_inference_kind
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import ChatRequest, GenerationDelta, TaskType

ROUTES = FaceRoutes(GEMINI, tag="Gemini-compatible", error=schema.GeminiError)

_MODELS = "/v1beta/models"
_V1 = "/v1/models"
"""``google-genai``'s default version; there ``GET /v1/models`` stays the OpenAI face's list."""


def _action(name: str) -> tuple[str, str]:
    """A model action's paths, under ``v1beta`` and ``v1``."""
    return f"{_MODELS}/{{model:path}}:{name}", f"{_V1}/{{model:path}}:{name}"


_GENERATING = ["generateContent", "streamGenerateContent", "countTokens"]
_EMBEDDING = ["embedContent", "batchEmbedContents"]


@ROUTES.get(_MODELS, role=Role.INFER, answer=schema.ListModelsResponse)
async def list_models(orch: OrchestratorDep) -> Response:
    """Every chat and text embedding endpoint, as Gemini models."""
    models = [_model_info(e) for e in await orch.list() if _methods(e)]
    return json_response({"models": models})


@ROUTES.get(f"{_MODELS}/{{model:path}}", role=Role.INFER, answer=schema.ModelInfo)
async def get_model(model: str, orch: OrchestratorDep) -> Response:
    return json_response(_model_info(await orch.endpoint_for(model, None)))


@ROUTES.post(
    *_action("generateContent"),
    role=Role.INFER,
    body=schema.GenerateContentRequest,
    answer=schema.GenerateContentResponse,
)
async def generate_content(model: str, request: Request, orch: OrchestratorDep) -> Response:
    """A model's answer: text, thoughts and function calls."""
    call = read_call(await read_body(request, schema.GenerateContentRequest))
    endpoint = await orch.endpoint_for(model, TaskType.CHAT_COMPLETION)
    result = await orch.chat(endpoint, _chat(orch, endpoint, call))
    return json_response(shapes.whole(result, model=model, thoughts=call.include_thoughts))


@ROUTES.post(
    *_action("streamGenerateContent"),
    role=Role.INFER,
    body=schema.GenerateContentRequest,
    answer=schema.GenerateContentResponse,
    stream=True,
)
async def stream_generate_content(model: str, request: Request, orch: OrchestratorDep) -> Response:
    """The answer as server-sent events (``?alt=sse``, what every client asks for), one chunk per event."""
    if request.query_params.get("alt", "sse") != "sse":
        raise BadRequestError("[alt] must be sse: hfgate streams server-sent events only", param="alt")
    call = read_call(await read_body(request, schema.GenerateContentRequest))
    endpoint = await orch.endpoint_for(model, TaskType.CHAT_COMPLETION)
    return await _stream(orch.chat_stream(endpoint, _chat(orch, endpoint, call)), model=model, call=call)


@ROUTES.post(
    *_action("countTokens"), role=Role.INFER, body=schema.GeminiCountTokensRequest, answer=schema.CountTokensResponse
)
async def count_tokens(model: str, request: Request, orch: OrchestratorDep) -> Response:
    """``{"totalTokens": n}``: on a local model, the prompt the request would take (the chat template over
    the conversation and tools); elsewhere the texts' tokens by the model's tokenizer, or one token per
    four characters where hfgate cannot load it."""
    body = await read_body(request, schema.GeminiCountTokensRequest)
    whole = body.generate_content_request or schema.GenerateContentRequest(contents=body.contents or [])
    call = read_call(whole)
    endpoint = await orch.endpoint_for(model, TaskType.CHAT_COMPLETION)
    texts = [m.content for m in call.messages if m.content]
    counted = await orch.count_chat_tokens(endpoint, _chat(orch, endpoint, call), texts=texts)
    return json_response({"totalTokens": counted})


@ROUTES.post(
    *_action("embedContent"), role=Role.INFER, body=schema.EmbedContentRequest, answer=schema.EmbedContentResponse
)
async def embed_content(model: str, request: Request, orch: OrchestratorDep) -> Response:
    """One content's vector."""
    body = await read_body(request, schema.EmbedContentRequest)
    (vector,) = await embed_requests(orch, model, [body])
    return json_response({"embedding": {"values": vector}})


@ROUTES.post(
    *_action("batchEmbedContents"),
    role=Role.INFER,
    body=schema.BatchEmbedContentsRequest,
    answer=schema.BatchEmbedContentsResponse,
)
async def batch_embed_contents(model: str, request: Request, orch: OrchestratorDep) -> Response:
    """A vector per request, in order (what ``google-genai``'s ``embed_content`` calls)."""
    body = await read_body(request, schema.BatchEmbedContentsRequest)
    vectors = await embed_requests(orch, model, body.requests)
    return json_response({"embeddings": [{"values": v} for v in vectors]})


def _chat(orch: Orchestrator, endpoint: Endpoint, call: GeminiCall) -> ChatRequest:
    return ChatRequest(
        messages=call.messages,
        params=orch.generation_params(endpoint, call.params),
        tools=call.tools,
        tool_choice=call.tool_choice,
    )


async def _stream(deltas: AsyncIterator[GenerationDelta], *, model: str, call: GeminiCall) -> StreamingResponse:
    chunks = shapes.Chunks(model=model, thoughts=call.include_thoughts)
    first = await anext(deltas, None)  # a refusal to start keeps its own HTTP status

    async def produce() -> AsyncIterator[bytes]:
        finished = False
        async for delta in chained(first, deltas):
            if finished:
                continue
            chunk = chunks.delta(delta)
            finished = delta.finish_reason is not None
            if chunk is not None:
                yield sse(chunk)
        if not finished:  # a stream that ended without saying why ended normally
            yield sse(chunks.end())

    def on_error(exc: HfGateError) -> bytes:
        return sse(error_body(exc))

    return await event_stream(produce(), on_error=on_error)


def _methods(endpoint: Endpoint) -> list[str]:
    """What Gemini's clients may call on the endpoint: generation on anything that chats, embedding on text
    embedding endpoints; nothing on the others (rerank, sparse), which the model list leaves out."""
    for task_type, methods in ((TaskType.CHAT_COMPLETION, _GENERATING), (TaskType.TEXT_EMBEDDING, _EMBEDDING)):
        try:
            check_inference_kind(endpoint, task_type)
        except BadRequestError:
            continue
        return methods
    return []


def _model_info(endpoint: Endpoint) -> dict[str, object]:
    return {
        "name": f"models/{endpoint.inference_id}",
        "baseModelId": endpoint.inference_id,
        "version": "hfgate",
        "displayName": endpoint.inference_id,
        "description": f"hfgate {endpoint.task_type.value} endpoint on the {endpoint.service} service",
        "supportedGenerationMethods": _methods(endpoint),
    }
