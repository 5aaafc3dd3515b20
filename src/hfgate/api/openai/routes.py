"""``/v1`` routes: what the openai SDK, LangChain, LlamaIndex and Dify's OpenAI-compatible provider call.

``model`` is an hfgate endpoint id. Errors come in OpenAI's shape (see errors.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from hfgate.api.body import json_object, typed
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import requests as oai
from hfgate.api.openai import shapes
from hfgate.api.openai.embedding_messages import embedding_contents
from hfgate.api.openai.errors import render_openai
from hfgate.api.responses import json_response
from hfgate.api.sse import event_stream, sse
from hfgate.api.tools import tool_fields, tool_prompt
from hfgate.errors import RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, GenerationDelta, TaskType, Usage
from hfgate.telemetry.session import name_session

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

TIMEOUT = 120.0


@router.get("/models")
async def models(orch: OrchestratorDep) -> Response:
    """Every endpoint, as OpenAI models."""
    data = [
        shapes.model_entry(e.inference_id, created=int(e.created_at.timestamp()), task_type=e.task_type.value)
        for e in await orch.list()
    ]
    return json_response({"object": "list", "data": data})


@router.get("/models/{model:path}")
async def model(model: str, orch: OrchestratorDep) -> Response:
    endpoint = await orch.endpoint_for(model, None)
    created = int(endpoint.created_at.timestamp())
    return json_response(shapes.model_entry(model, created=created, task_type=endpoint.task_type.value))


@router.post("/embeddings")
async def embeddings(request: Request, orch: OrchestratorDep) -> Response:
    """Embeddings: ``input`` string or list, ``encoding_format`` float|base64, ``dimensions``."""
    body = await json_object(request)
    return await run_embeddings(orch, body, name=oai.model_of(body))


async def run_embeddings(orch: Orchestrator, body: dict[str, Any], *, name: str) -> Response:
    """OpenAI embeddings on endpoint ``name`` (also served by TEI's ``/v1/embeddings``); vLLM's ``messages``
    with an image for an image-and-text model (``embedding_messages``)."""
    texts, images = embedding_contents(body)
    endpoint = await orch.endpoint_for(name, TaskType.TEXT_EMBEDDING)
    dimensions = _dimensions(body, endpoint)
    result = await orch.embed(endpoint, EmbedRequest(texts=texts, images=images, timeout=TIMEOUT))
    encoding = oai.encoding_format(body)
    return json_response(
        shapes.embeddings(result.embeddings, model=name, counts=result.usage, encoding=encoding, dimensions=dimensions)
    )


@router.post("/completions")
async def completions(request: Request, orch: OrchestratorDep) -> Response:
    """Text completion, whole or streamed."""
    body = await json_object(request)
    return await run_completion(orch, body, name=oai.model_of(body))


async def run_completion(orch: Orchestrator, body: dict[str, Any], *, name: str) -> Response:
    """An OpenAI completion on endpoint ``name`` (also served by TGI's ``/v1/completions``)."""
    params = oai.generation_params(body, chat=False)
    prompts = oai.prompts(body)
    options = oai.stream_options(body)
    endpoint = await orch.endpoint_for(name, TaskType.COMPLETION)
    requests = [
        GenerateRequest(prompt=p, params=orch.generation_params(endpoint, params), timeout=TIMEOUT) for p in prompts
    ]
    if options.stream:
        if len(requests) != 1:
            raise RequestValidationError(["streaming takes one [prompt]"], param="prompt")
        deltas = orch.generate_stream(endpoint, requests[0])
        return await _stream(deltas, model=name, include_usage=options.include_usage, chat=False)
    results = [await orch.generate(endpoint, r) for r in requests]
    return json_response(shapes.completion(results, model=name))


@router.post("/chat/completions")
async def chat_completions(request: Request, orch: OrchestratorDep) -> Response:
    """Chat completion, whole or streamed."""
    body = await json_object(request)
    return await run_chat(orch, body, name=oai.model_of(body))


async def run_chat(orch: Orchestrator, body: dict[str, Any], *, name: str) -> Response:
    """An OpenAI chat completion on endpoint ``name`` (also served by TGI's ``/v1/chat/completions``)."""
    params = oai.generation_params(body, chat=True)
    name_session(typed(body, "prompt_cache_key", kind=str) or "")  # a session for affinity, unless a header named one
    messages = oai.chat_messages(body)
    options = oai.stream_options(body)
    tools = tool_fields(body)
    endpoint = await orch.endpoint_for(name, TaskType.CHAT_COMPLETION)
    chat = ChatRequest(
        messages=messages,
        params=orch.generation_params(endpoint, params),
        timeout=TIMEOUT,
        tools=tools.tools,
        tool_choice=tools.tool_choice,
        parallel_tool_calls=tools.parallel_tool_calls,
        tool_prompt=tool_prompt(body),
    )
    if options.stream:
        deltas = orch.chat_stream(endpoint, chat)
        return await _stream(deltas, model=name, include_usage=options.include_usage, chat=True)
    return json_response(shapes.chat_completion(await orch.chat(endpoint, chat), model=name))


def _dimensions(body: dict[str, Any], endpoint: Endpoint) -> int | None:
    wanted: int | None = typed(body, "dimensions", kind=int)
    native = endpoint.service_settings.get("dimensions")
    if wanted is None or wanted == native:
        return None
    if wanted < 1 or (native is not None and wanted > native):
        raise RequestValidationError(
            [f"[dimensions] must be between 1 and the model's [{native}], got [{wanted}]"], param="dimensions"
        )
    return wanted


async def _stream(
    deltas: AsyncIterator[GenerationDelta], *, model: str, include_usage: bool, chat: bool
) -> StreamingResponse:
    events = _events(deltas, model=model, include_usage=include_usage, chat=chat)
    return await event_stream(events, on_error=lambda exc: sse(render_openai("/v1", exc)[1]))


async def _events(
    deltas: AsyncIterator[GenerationDelta], *, model: str, include_usage: bool, chat: bool
) -> AsyncIterator[bytes]:
    chunk_id, created = shapes.new_id("chatcmpl" if chat else "cmpl"), int(time.time())
    counts = Usage()
    async for delta in deltas:
        if chat and delta.tool_calls:
            for chunk in shapes.tool_call_chunks(delta, chunk_id=chunk_id, model=model, created=created):
                yield sse(chunk)
        elif chat:
            yield sse(shapes.chat_chunk(delta, chunk_id=chunk_id, model=model, created=created))
        else:
            yield sse(shapes.completion_chunk(delta, chunk_id=chunk_id, model=model, created=created))
        counts = delta.usage or counts
    if include_usage:
        kind = "chat.completion.chunk" if chat else "text_completion"
        yield sse(shapes.usage_chunk(counts, chunk_id=chunk_id, model=model, created=created, kind=kind))
    yield sse("[DONE]")
