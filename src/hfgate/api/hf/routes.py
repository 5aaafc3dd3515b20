"""``/hf/{inference_id}``: every endpoint served the way Hugging Face's servers serve a model.

``POST /hf/{id}`` behaves like a hosted model route (feature-extraction, text-generation or
text2text-generation by the endpoint's task); TEI's and TGI's own routes sit under it (their OpenAI
routes, ``/hf/{id}/v1/...``, come from the OpenAI face's ``per_endpoint`` router). So
``InferenceClient(model="http://hfgate/hf/{id}")``, a TEI/TGI client, or another hfgate's
``hugging_face`` service pointed at this URL all work unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import Request, Response

from hfgate.access.roles import Role
from hfgate.api.body import decode, json_object, json_response, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.hf import pipelines, schema, shapes
from hfgate.api.hf.errors import FACE as HF
from hfgate.api.hf.errors import render_hf
from hfgate.api.hf.requests import TgiCall, texts, tgi_call
from hfgate.api.sse import event_stream
from hfgate.errors import HfGateError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import EmbedRequest, GenerateRequest, Generation, GenerationDelta, RerankRequest, TaskType, Usage

ROUTES = FaceRoutes(HF, tag="Hugging Face-compatible (TEI/TGI)", error=schema.HfError)

_HF = "/hf/{inference_id}"
_GENERATING = (TaskType.COMPLETION, TaskType.CHAT_COMPLETION)


@ROUTES.get(f"{_HF}/health", role=Role.INFER)
async def health(inference_id: str, orch: OrchestratorDep) -> Response:
    await orch.endpoint_for(inference_id, None)
    return Response(status_code=200)


@ROUTES.get(f"{_HF}/info", role=Role.INFER, answer=dict[str, Any])
async def info(inference_id: str, orch: OrchestratorDep) -> Response:
    (endpoint,) = orch.observed([await orch.endpoint_for(inference_id, None)])  # with its device, when loaded
    described = orch.service_kind(endpoint.service).describe(endpoint)
    if endpoint.task_type in _GENERATING:
        return json_response(shapes.tgi_info(described))
    return json_response(shapes.tei_info(endpoint, described))


@ROUTES.post(_HF, role=Role.INFER, body=schema.HostedRequest, answer=schema.HostedAnswer, or_stream=True)
async def hosted(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """Like a hosted model: what it does follows the endpoint's task type."""
    endpoint = await orch.endpoint_for(inference_id, None)
    if endpoint.task_type.hub_pipeline:
        return await pipelines.answer(orch, endpoint, request)
    body = await json_object(request)
    if endpoint.task_type in _GENERATING:
        call = tgi_call(decode(body, schema.TgiRequest))
        return await (
            _stream(orch, endpoint, call=call) if call.stream else _generate(orch, endpoint, call=call, listed=True)
        )
    if endpoint.task_type is TaskType.RERANK:
        return await _rerank(orch, endpoint, body=decode(body, schema.TeiRerankRequest))
    if endpoint.task_type is TaskType.SPARSE_EMBEDDING:
        return await _tokens_and_weights(orch, endpoint, body=decode(body, schema.TeiRequest))
    return await _embed(orch, endpoint, body=decode(body, schema.TeiRequest))


@ROUTES.post(f"{_HF}/embed", role=Role.INFER, body=schema.TeiRequest, answer=list[list[float]])
async def embed(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    body = await json_object(request)  # an unknown endpoint is a 404 before the body's fields are read
    endpoint = await orch.endpoint_for(inference_id, TaskType.TEXT_EMBEDDING)
    return await _embed(orch, endpoint, body=decode(body, schema.TeiRequest))


@ROUTES.post(f"{_HF}/embed_sparse", role=Role.INFER, body=schema.TeiRequest, answer=list[list[schema.SparseValue]])
async def embed_sparse(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """TEI's SPLADE route: each text's non-zero weights as ``[{"index": id, "value": weight}]``."""
    body = await json_object(request)
    endpoint = await orch.endpoint_for(inference_id, TaskType.SPARSE_EMBEDDING)
    inputs = texts(decode(body, schema.TeiRequest).inputs)
    result = await orch.sparse_weights(endpoint, EmbedRequest(texts=inputs))
    return json_response(shapes.sparse_values(result))


@ROUTES.post(f"{_HF}/rerank", role=Role.INFER, body=schema.TeiRerankRequest, answer=list[schema.RerankHit])
async def rerank(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    body = await json_object(request)
    endpoint = await orch.endpoint_for(inference_id, TaskType.RERANK)
    return await _rerank(orch, endpoint, body=decode(body, schema.TeiRerankRequest))


@ROUTES.post(f"{_HF}/tokenize", role=Role.INFER, body=schema.TokenizeRequest, answer=list[list[schema.Token]])
async def tokenize(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    raw = await json_object(request)
    endpoint = await orch.endpoint_for(inference_id, None)
    body = decode(raw, schema.TokenizeRequest)
    special = body.add_special_tokens is not False
    spans = await orch.tokenize(endpoint, list(texts(body.inputs)), add_special_tokens=special)
    return json_response(shapes.tokens(spans))


@ROUTES.post(f"{_HF}/generate", role=Role.INFER, body=schema.TgiRequest, answer=schema.Generated)
async def generate(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    endpoint = await orch.endpoint_for(inference_id, TaskType.COMPLETION)
    body = await read_body(request, schema.TgiRequest)
    return await _generate(orch, endpoint, call=tgi_call(body, stream=False), listed=False)


@ROUTES.post(f"{_HF}/generate_stream", role=Role.INFER, body=schema.TgiRequest, stream=True)
async def generate_stream(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    endpoint = await orch.endpoint_for(inference_id, TaskType.COMPLETION)
    body = await read_body(request, schema.TgiRequest)
    return await _stream(orch, endpoint, call=tgi_call(body, stream=True))


async def _embed(orch: Orchestrator, endpoint: Endpoint, *, body: schema.TeiRequest) -> Response:
    request = EmbedRequest(texts=texts(body.inputs), normalize=body.normalize is not False)
    result = await orch.embed(endpoint, request)
    return json_response(list(result.embeddings))  # orjson writes a list, not a FloatRows


async def _tokens_and_weights(orch: Orchestrator, endpoint: Endpoint, *, body: schema.TeiRequest) -> Response:
    """What Elasticsearch's ``hugging_face`` service reads from a sparse endpoint: ``[{token: weight}]``."""
    result = await orch.sparse_embed(endpoint, EmbedRequest(texts=texts(body.inputs)))
    return json_response([embedding.weights for embedding in result.embeddings])


async def _rerank(orch: Orchestrator, endpoint: Endpoint, *, body: schema.TeiRerankRequest) -> Response:
    request = RerankRequest(query=body.query, documents=tuple(body.texts), return_documents=bool(body.return_text))
    return json_response(shapes.rerank(await orch.rerank(endpoint, request)))


async def _generate(orch: Orchestrator, endpoint: Endpoint, *, call: TgiCall, listed: bool) -> Response:
    request = GenerateRequest(prompt=call.prompt, params=orch.generation_params(endpoint, call.params))
    deltas: list[GenerationDelta] = []
    # Token by token when details are asked for, or a stop string may end the text (TGI keeps it)
    if call.details or request.params.stop:
        generation = await _collect(orch, endpoint, request=request, deltas=deltas)
    else:
        generation = await orch.generate(endpoint, request)
    text = call.prompt + generation.text if call.full_text else generation.text
    answer: dict[str, Any] = {"generated_text": text}
    if call.details:
        top_n = bool(request.params.top_n_tokens)
        answer["details"] = shapes.details(generation, seed=call.params.seed, deltas=deltas, top_n=top_n)
    return json_response([answer] if listed else answer)


async def _collect(
    orch: Orchestrator, endpoint: Endpoint, *, request: GenerateRequest, deltas: list[GenerationDelta]
) -> Generation:
    """The generation with the met stop string kept, as TGI's ``generated_text`` has it; the deadline bounds
    the whole generation, as it does a generation not read piece by piece.

    Raises:
        RequestTimeoutError: the generation did not end within the deadline.
    """
    deltas.extend(await orch.generate_collected(endpoint, request))
    last = deltas[-1] if deltas else None
    if last is None or last.finish_reason is None:
        raise HfGateError(f"The generation of [{endpoint.inference_id}] ended without a finish reason")
    text = "".join(d.text for d in deltas) + (last.stop_sequence or "")
    return Generation(text=text, finish_reason=last.finish_reason, usage=last.usage or Usage())


async def _stream(orch: Orchestrator, endpoint: Endpoint, *, call: TgiCall) -> Response:
    request = GenerateRequest(prompt=call.prompt, params=orch.generation_params(endpoint, call.params))
    events = _tgi_events(orch, endpoint, request=request, call=call)
    return await event_stream(events, on_error=lambda exc: _tgi_sse(render_hf("/generate_stream", exc)[1]))


async def _tgi_events(
    orch: Orchestrator, endpoint: Endpoint, *, request: GenerateRequest, call: TgiCall
) -> AsyncIterator[bytes]:
    parts: list[str] = []
    index = 0
    async for delta in orch.generate_stream(endpoint, request):
        parts.append(delta.text + (delta.stop_sequence or ""))
        index += 1
        text = detail = None
        if delta.finish_reason is not None:
            generated = Generation(text="".join(parts), finish_reason=delta.finish_reason, usage=delta.usage or Usage())
            text = (call.prompt if call.full_text else "") + generated.text
            detail = {"finish_reason": generated.finish_reason, "generated_tokens": generated.usage.completion_tokens,
                      "seed": call.params.seed}  # fmt: skip
        yield _tgi_sse(shapes.stream_event(index, delta, text=text, detail=detail))


def _tgi_sse(data: dict[str, Any]) -> bytes:
    # TGI writes ``data:`` without a space; clients accept both.
    return b"data:" + orjson.dumps(data) + b"\n\n"
