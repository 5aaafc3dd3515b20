"""``/v1`` routes: what the openai SDK, LangChain, LlamaIndex and Dify's OpenAI-compatible provider call.

``model`` is an hfgate endpoint id. Each route is declared once (:mod:`hfgate.api.declare`): its role, and
the request type (:mod:`~hfgate.api.openai.schema`) that decodes the body and documents it. Errors come in
OpenAI's shape (see errors.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from hfgate.access.roles import Role
from hfgate.api import chat_schema
from hfgate.api.body import decode, json_object, json_response, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers, choices, schema, shapes
from hfgate.api.openai import requests as oai
from hfgate.api.openai.embedding_messages import embedding_contents
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.api.openai.errors import render_openai
from hfgate.api.sse import event_stream, sse
from hfgate.errors import RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, GenerationDelta, TaskType, Usage
from hfgate.telemetry.request_scope import name_session

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)


@ROUTES.get("/v1/models", role=Role.INFER, answer=answers.ModelList)
async def models(orch: OrchestratorDep) -> Response:
    """Every endpoint, as OpenAI models."""
    data = [
        shapes.model_entry(e.inference_id, created=int(e.created_at.timestamp()), task_type=e.task_type.value)
        for e in await orch.list()
    ]
    return json_response({"object": "list", "data": data})


@ROUTES.get("/v1/models/{model:path}", role=Role.INFER, answer=answers.ModelCard)
async def model(model: str, orch: OrchestratorDep) -> Response:
    endpoint = await orch.endpoint_for(model, None)
    created = int(endpoint.created_at.timestamp())
    return json_response(shapes.model_entry(model, created=created, task_type=endpoint.task_type.value))


@ROUTES.post("/v1/embeddings", role=Role.INFER, body=schema.EmbeddingsRequest, answer=answers.EmbeddingsResponse)
async def embeddings(request: Request, orch: OrchestratorDep) -> Response:
    """Embeddings: ``input`` string or list, ``encoding_format`` float|base64, ``dimensions``."""
    body = await read_body(request, schema.EmbeddingsRequest)
    return await run_embeddings(orch, body, name=body.model)


async def run_embeddings(orch: Orchestrator, body: schema.EmbeddingsBody, *, name: str) -> Response:
    """OpenAI embeddings on endpoint ``name`` (also served by TEI's ``/v1/embeddings``); vLLM's ``messages``
    with an image for an image-and-text model (``embedding_messages``)."""
    texts, images = embedding_contents(body)
    endpoint = await orch.endpoint_for(name, TaskType.TEXT_EMBEDDING)
    dimensions = _dimensions(body.dimensions, endpoint)
    result = await orch.embed(endpoint, EmbedRequest(texts=texts, images=images))
    encoding = body.encoding_format or "float"
    return json_response(
        shapes.embeddings(result.embeddings, model=name, counts=result.usage, encoding=encoding, dimensions=dimensions)
    )


@ROUTES.post(
    "/v1/completions", role=Role.INFER, body=schema.CompletionRequest, answer=answers.CompletionResponse, or_stream=True
)
async def completions(request: Request, orch: OrchestratorDep) -> Response:
    """Text completion, whole or streamed."""
    body = await json_object(request)
    completion = decode(body, schema.CompletionRequest)
    return await run_completion(orch, completion, body, name=completion.model)


async def run_completion(
    orch: Orchestrator, completion: schema.CompletionBody, body: dict[str, Any], *, name: str
) -> Response:
    """An OpenAI completion on endpoint ``name`` (also served by TGI's ``/v1/completions``); ``body`` is the
    request as sent, whose fields hfgate does not translate are passed through."""
    params = oai.generation_params(completion, body)
    n = oai.choice_count(completion.n, completion.best_of)
    prompts = oai.prompts(completion)
    options = oai.stream_options(completion)
    endpoint = await orch.endpoint_for(name, TaskType.COMPLETION)
    merged = oai.completion_defaults(orch.generation_params(endpoint, params))
    requests = [GenerateRequest(prompt=p, params=merged) for p in prompts]
    if options.stream:
        if len(requests) != 1:
            raise RequestValidationError(["streaming takes one [prompt]"], param="prompt")
        streams = [orch.generate_stream(endpoint, _nth(requests[0], i)) for i in range(n)]
        return await _stream(_merged(streams), model=name, include_usage=options.include_usage, chat=False)
    async with orch.deadline(endpoint.task_type):  # one for all the prompts and their choices
        results = [await asyncio.gather(*(orch.generate(endpoint, _nth(r, i)) for i in range(n))) for r in requests]
    counts = [_total([g.usage for g in per_prompt]) for per_prompt in results]
    usage = Usage(prompt_tokens=sum(c.prompt_tokens for c in counts),
                  completion_tokens=sum(c.completion_tokens for c in counts))  # fmt: skip
    return json_response(shapes.completion([g for per in results for g in per], model=name, counts=usage))


@ROUTES.post(
    "/v1/chat/completions", role=Role.INFER, body=schema.ChatRequest, answer=answers.CompletionResponse, or_stream=True
)
async def chat_completions(request: Request, orch: OrchestratorDep) -> Response:
    """Chat completion, whole or streamed."""
    body = await json_object(request)
    chat = decode(body, schema.ChatRequest)
    return await run_chat(orch, chat, body, name=chat.model)


async def run_chat(orch: Orchestrator, chat: schema.ChatBody, body: dict[str, Any], *, name: str) -> Response:
    """An OpenAI chat completion on endpoint ``name`` (also served by TGI's ``/v1/chat/completions``);
    ``body`` is the request as sent, whose fields hfgate does not translate are passed through."""
    params = oai.generation_params(chat, body)
    name_session(chat.prompt_cache_key or "")  # a session for affinity, unless a header named one
    messages = chat_schema.chat_messages(chat.messages)
    options = oai.stream_options(chat)
    tools = chat_schema.tool_fields(body, tools=chat.tools, choice=chat.tool_choice, parallel=chat.parallel_tool_calls)
    endpoint = await orch.endpoint_for(name, TaskType.CHAT_COMPLETION)
    asked = ChatRequest(
        messages=messages,
        params=orch.generation_params(endpoint, params),
        tools=tools.tools,
        tool_choice=tools.tool_choice,
        parallel_tool_calls=tools.parallel_tool_calls,
        tool_prompt=chat.tool_prompt,
    )
    n = oai.choice_count(chat.n, chat.best_of)
    if options.stream:
        streams = [orch.chat_stream(endpoint, _nth(asked, i)) for i in range(n)]
        return await _stream(_merged(streams), model=name, include_usage=options.include_usage, chat=True)
    async with orch.deadline(endpoint.task_type):  # one for every choice
        results = list(await asyncio.gather(*(orch.chat(endpoint, _nth(asked, i)) for i in range(n))))
    counts = _total([r.usage for r in results])
    return json_response(shapes.chat_completion(results, model=name, counts=counts))


def _dimensions(wanted: int | None, endpoint: Endpoint) -> int | None:
    native = endpoint.service_settings.get("dimensions")
    if wanted is None or wanted == native:
        return None
    if wanted < 1 or (native is not None and wanted > native):
        raise RequestValidationError(
            [f"[dimensions] must be between 1 and the model's [{native}], got [{wanted}]"], param="dimensions"
        )
    return wanted


async def _stream(
    deltas: AsyncIterator[tuple[int, GenerationDelta]], *, model: str, include_usage: bool, chat: bool
) -> StreamingResponse:
    events = _events(deltas, model=model, include_usage=include_usage, chat=chat)
    return await event_stream(events, on_error=lambda exc: sse(render_openai("/v1", exc)[1]))


async def _events(
    deltas: AsyncIterator[tuple[int, GenerationDelta]], *, model: str, include_usage: bool, chat: bool
) -> AsyncIterator[bytes]:
    chunk_id, created = shapes.new_id("chatcmpl" if chat else "cmpl"), int(time.time())
    counts: dict[int, Usage] = {}
    async for index, delta in deltas:
        if chat and delta.tool_calls:
            for chunk in shapes.tool_call_chunks(delta, chunk_id=chunk_id, model=model, created=created, index=index):
                yield sse(chunk)
        elif chat:
            yield sse(shapes.chat_chunk(delta, chunk_id=chunk_id, model=model, created=created, index=index))
        else:
            yield sse(shapes.completion_chunk(delta, chunk_id=chunk_id, model=model, created=created, index=index))
        counts[index] = delta.usage or counts.get(index, Usage())
    if include_usage:
        kind = "chat.completion.chunk" if chat else "text_completion"
        summed = _total([counts[i] for i in sorted(counts)])
        yield sse(shapes.usage_chunk(summed, chunk_id=chunk_id, model=model, created=created, kind=kind))
    yield sse("[DONE]")


R = TypeVar("R", ChatRequest, GenerateRequest)


def _nth(request: R, index: int) -> R:
    return request if index == 0 else choices.nth(request, index)


def _total(usages: list[Usage]) -> Usage:
    return usages[0] if len(usages) == 1 else choices.total(usages)


async def _merged(streams: list[AsyncIterator[GenerationDelta]]) -> AsyncIterator[tuple[int, GenerationDelta]]:
    """The pieces of each choice's stream with its index; one choice's without :mod:`.choices`."""
    pieces = streams[0] if len(streams) == 1 else None
    if pieces is None:
        async for each in choices.merged(streams):
            yield each
        return
    async for delta in pieces:
        yield 0, delta
