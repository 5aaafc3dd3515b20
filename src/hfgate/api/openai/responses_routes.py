"""``/v1/responses``: OpenAI's Responses API over any chat endpoint (what the OpenAI Agents SDK calls).

A request is read into a chat (``responses_input``, its items ``responses_items``), answered by the
endpoint like any chat (tools, images, streaming), and shaped back (``responses_shapes``,
``responses_stream``) — except on an endpoint whose upstream serves the Responses API itself (a hosted
model, through the router), where the request is passed on and the answer relayed as it comes
(``responses_relay``). With ``store`` (the default) the response and the conversation it ends are kept in
the registry database (``ResponseStore``) for ``HFGATE_RESPONSES_RETENTION_HOURS``, so
``previous_response_id`` continues it on any replica. A stored response belongs to the key that made it:
another key is told it does not exist; an admin key may read, list and delete any. Each route is declared
once on the OpenAI face (:mod:`hfgate.api.declare`); the request types (``responses_schema``) decode the bodies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from hfgate.access.principal import CURRENT
from hfgate.access.roles import Role
from hfgate.api.body import json_object, json_response
from hfgate.api.chat_schema import nonempty_conversation
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers
from hfgate.api.openai import responses_shapes as shapes
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.api.openai.errors import render_openai
from hfgate.api.openai.responses_compact import compact_first, compacted, read_compact, summary_messages
from hfgate.api.openai.responses_input import ResponsesCall, read_call
from hfgate.api.openai.responses_items import check_call_outputs, refuse_parts, to_messages
from hfgate.api.openai.responses_relay import relay
from hfgate.api.openai.responses_schema import (
    CompactObject,
    CompactRequest,
    ResponseDeleted,
    ResponseList,
    ResponseObject,
    ResponsesRequest,
)
from hfgate.api.openai.responses_stream import ResponseBuilder, ResponseEvents
from hfgate.api.sse import chained, event_stream
from hfgate.config import Settings
from hfgate.errors import HfGateError, NotFoundError, PayloadTooLargeError
from hfgate.registry.responses_store import ResponseStore, StoredResponse
from hfgate.tasks import ChatRequest, GenerationDelta, GenerationParams, ResponsesRelay, TaskType, Usage
from hfgate.telemetry.request_scope import name_session

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)


Keep = Callable[[dict[str, Any]], Awaitable[None]]
"""Stores a finished response (or does nothing, with ``store: false``)."""


class ResponseNotFoundError(NotFoundError):
    """No stored response with that id for this key (or it expired)."""


@ROUTES.post("/v1/responses", role=Role.INFER, body=ResponsesRequest, answer=ResponseObject, or_stream=True)
async def create_response(request: Request, orch: OrchestratorDep) -> Response:
    """A model response: text, function calls, streamed or whole; stored unless ``store: false``."""
    body = await json_object(request)
    call = read_call(body)
    name_session(call.echo.get("prompt_cache_key") or "")  # a session for affinity, unless a header named one
    store: ResponseStore = request.app.state.responses
    settings: Settings = request.app.state.settings
    history = await _history(store, call.previous_response_id)
    conversation = [*history, *call.items]
    if call.store:
        _check_size(conversation, limit=settings.responses_max_bytes)
    endpoint = await orch.endpoint_for(call.model, TaskType.CHAT_COMPLETION)
    keep = partial(_keep, store, call=call, inference_id=endpoint.inference_id,
                   retention=timedelta(hours=settings.responses_retention_hours))  # fmt: skip
    if orch.relays_responses(endpoint):  # context_management too is the upstream's to serve
        passed = ResponsesRelay(body=body, history=tuple(history))
        return await relay(orch, endpoint, passed, stream=call.stream, keep=partial(keep, conversation=conversation))
    refuse_parts(call.items, reads_images=orch.service_kind(endpoint.service).reads_images)
    check_call_outputs(conversation, first_new=len(history))
    lead: list[dict[str, Any]] = []  # the compaction item, when context_management compacted first
    if call.compact_threshold is not None:
        conversation, lead = await compact_first(orch, endpoint, conversation, instructions=call.instructions,
                                                 threshold=call.compact_threshold)  # fmt: skip
    keep = partial(keep, conversation=conversation)
    chat = ChatRequest(
        messages=nonempty_conversation(
            to_messages(conversation, instructions=call.instructions),
            field="input",
            why="reasoning items are not read back into a prompt; send at least one message (or instructions)",
        ),
        params=orch.generation_params(endpoint, call.params),
        tools=call.tools,
        tool_choice=call.tool_choice,
        parallel_tool_calls=call.parallel_tool_calls,
    )
    build = _builder(call, chat.params, response_id=shapes.new_id("resp"), created_at=int(time.time()))
    if call.stream:
        return await _stream(orch.chat_stream(endpoint, chat), build=build, keep=keep, lead=lead)
    result = await orch.chat(endpoint, chat)
    response = build([*lead, *shapes.output_items(result)], result.finish_reason, result.usage)
    await keep(response)
    return json_response(response)


@ROUTES.post("/v1/responses/compact", role=Role.INFER, body=CompactRequest, answer=CompactObject)
async def compact_response(request: Request, orch: OrchestratorDep) -> Response:
    """A conversation compacted: its user messages kept, the rest replaced by a summary the model writes
    (a ``compaction`` item, to send back as input in place of the turns it replaced); nothing is stored."""
    call = read_compact(await json_object(request))
    history = await _history(request.app.state.responses, call.previous_response_id)
    conversation = [*history, *call.items]
    endpoint = await orch.endpoint_for(call.model, TaskType.CHAT_COMPLETION)
    refuse_parts(call.items, reads_images=orch.service_kind(endpoint.service).reads_images)
    messages = summary_messages(conversation, instructions=call.instructions)
    chat = ChatRequest(messages=messages, params=orch.generation_params(endpoint))
    result = await orch.chat(endpoint, chat)
    return json_response(compacted(conversation, result, created_at=int(time.time())))


@ROUTES.get("/v1/responses", role=Role.ADMIN, answer=ResponseList)  # every key's stored responses
async def list_responses(request: Request, limit: int = 20) -> Response:
    """Stored responses, newest first: an admin key's view of every key's (``limit`` at most 100)."""
    store: ResponseStore = request.app.state.responses
    found = await asyncio.to_thread(store.list, limit=max(1, min(limit, 100)))
    data = [dict(r.body["response"], hfgate_key_id=r.key_id) for r in found]
    return json_response({"object": "list", "data": data, "has_more": len(data) == limit})


@ROUTES.get("/v1/responses/{response_id}", role=Role.INFER, answer=ResponseObject)  # its key, or an admin
async def get_response(response_id: str, request: Request) -> Response:
    """A stored response, to the key that made it (or an admin key)."""
    stored = await _owned(request.app.state.responses, response_id, param="response_id")
    return json_response(stored.body["response"])


@ROUTES.get("/v1/responses/{response_id}/input_items", role=Role.INFER, answer=ResponseList)
async def input_items(response_id: str, request: Request) -> Response:
    """The items the response answered (the whole conversation up to it), oldest first."""
    stored = await _owned(request.app.state.responses, response_id, param="response_id")
    output_ids = {item.get("id") for item in stored.body["response"]["output"]}
    items = [dict(item, id=item.get("id") or f"item_{i}") for i, item in enumerate(stored.body["conversation"])
             if item.get("id") not in output_ids or item.get("id") is None]  # fmt: skip
    first, last = (items[0]["id"], items[-1]["id"]) if items else (None, None)
    return json_response({"object": "list", "data": items, "first_id": first, "last_id": last, "has_more": False})


@ROUTES.delete("/v1/responses/{response_id}", role=Role.INFER, answer=ResponseDeleted)
async def delete_response(response_id: str, request: Request) -> Response:
    """Delete a stored response (the key that made it, or an admin key)."""
    store: ResponseStore = request.app.state.responses
    await _owned(store, response_id, param="response_id")
    await asyncio.to_thread(store.delete, response_id)
    return json_response({"id": response_id, "object": "response.deleted", "deleted": True})


def _builder(call: ResponsesCall, params: GenerationParams, *, response_id: str, created_at: int) -> ResponseBuilder:
    echo = {**call.echo, **shapes.sampling(params)}

    def build(output: list[dict[str, Any]], finish: Any, counts: Any) -> dict[str, Any]:
        return shapes.response_object(
            response_id=response_id, created_at=created_at, model=call.model, echo=echo,
            instructions=call.instructions, max_output_tokens=call.params.max_new_tokens,
            parallel_tool_calls=call.parallel_tool_calls, previous_response_id=call.previous_response_id,
            store=call.store, output=output, finish=finish, counts=counts,
        )  # fmt: skip

    return build


async def _stream(
    deltas: AsyncIterator[GenerationDelta], *, build: ResponseBuilder, keep: Keep, lead: list[dict[str, Any]]
) -> StreamingResponse:
    events = ResponseEvents(build)
    first = await anext(deltas, None)  # a refusal to start keeps its own HTTP status

    async def produce() -> AsyncIterator[bytes]:
        out = events.start() + b"".join(events.whole_item(item) for item in lead)
        async for delta in chained(first, deltas):
            out += events.delta(delta)
            if delta.finish_reason is not None:
                out += events.finish(delta.finish_reason, delta.usage or Usage())
            yield out
            out = b""
        if events.response is None:  # a stream that ended without saying why: it ended normally
            yield out + events.finish("eos_token", Usage())
        assert events.response is not None
        await keep(events.response)

    def on_error(exc: HfGateError) -> bytes:
        error = render_openai("/v1", exc)[1]["error"]
        return events.error(error["message"], error["code"] or "server_error", error.get("type") or "server_error")

    return await event_stream(produce(), on_error=on_error)


async def _keep(
    store: ResponseStore, response: dict[str, Any], *, call: ResponsesCall, conversation: list[dict[str, Any]],
    inference_id: str, retention: timedelta,
) -> None:  # fmt: skip
    if not call.store:
        return
    items = [*conversation, *shapes.replayable(response["output"])]
    body = {"response": response, "conversation": items}
    stored = StoredResponse(response_id=response["id"], key_id=_owner(), inference_id=inference_id, body=body)
    await asyncio.to_thread(store.put, stored, retention=retention)


async def _history(store: ResponseStore, previous: str | None) -> list[dict[str, Any]]:
    if previous is None:
        return []
    stored = await _owned(store, previous, param="previous_response_id")
    conversation: list[dict[str, Any]] = stored.body["conversation"]
    return conversation


async def _owned(store: ResponseStore, response_id: str, *, param: str) -> StoredResponse:
    """The stored response, if this request's key may see it; otherwise it does not exist for it."""
    stored = await asyncio.to_thread(store.get, response_id)
    if stored is None or not _may_see(stored):
        what = "Previous response" if param == "previous_response_id" else "Response"
        raise ResponseNotFoundError(
            f"{what} with id '{response_id}' not found: it was never stored (store: false), expired, was deleted, "
            "or belongs to another key",
            param=param,
        )
    return stored


def _may_see(stored: StoredResponse) -> bool:
    principal = CURRENT.get()
    return principal is None or principal.key_id == stored.key_id or Role.ADMIN in principal.granted


def _owner() -> str:
    principal = CURRENT.get()
    return "" if principal is None else principal.key_id


def _check_size(conversation: list[dict[str, Any]], *, limit: int) -> None:
    size = len(orjson.dumps(conversation))
    if size > limit:
        raise PayloadTooLargeError(
            f"the conversation to store is {size} bytes, over the limit of {limit} "
            "(HFGATE_RESPONSES_MAX_BYTES); start a new conversation, send [store: false] and pass the earlier "
            "turns in [input], or raise the limit",
            param="previous_response_id",
        )
