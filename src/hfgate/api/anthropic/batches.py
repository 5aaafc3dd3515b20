"""``/v1/messages/batches``: Anthropic's Message Batches API (``client.messages.batches.*``) on the batch engine
(:mod:`hfgate.batches`) that runs OpenAI's batches.

A batch's requests are checked whole at create (each ``params`` as ``POST /v1/messages`` reads it, each
``custom_id`` its own; a fault is a 400 naming the request's index), then written as an input file of
OpenAI's lines whose ``url`` is ``/v1/messages`` and stored as a batch of that endpoint. The replicas' runners
send each line through the app as a request of the key that made the batch, as an OpenAI batch's; this module
only maps the engine's batch and its lines' results to Anthropic's shapes (:mod:`.batch_shapes`). A batch
belongs to its key, and only batches of ``/v1/messages`` are seen here: any other is told it does not exist.
``POST`` routes are plain (:func:`hfgate.api.declare.plain_route`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import Request, Response

from hfgate.access.principal import current_key_id as owner
from hfgate.access.roles import Role
from hfgate.api.anthropic import batch_schema as wire
from hfgate.api.anthropic import batch_shapes as shapes
from hfgate.api.anthropic.errors import FACE as ANTHROPIC
from hfgate.api.anthropic.requests import read_call
from hfgate.api.anthropic.schema import AnthropicError
from hfgate.api.body import decode, json_object, json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.batches import deletion
from hfgate.batches.files import FileStore
from hfgate.batches.input import read_lines
from hfgate.batches.store import BatchStore, StoredBatch
from hfgate.config import Settings
from hfgate.errors import BadRequestError, HfGateError, NotFoundError, RequestValidationError

ROUTES = FaceRoutes(ANTHROPIC, tag="Anthropic-compatible", error=AnthropicError)

URL = "/v1/messages"
"""The route each request of a message batch is sent to."""


@ROUTES.post("/v1/messages/batches", role=Role.INFER, body=wire.MessageBatchCreateRequest, answer=wire.MessageBatch)
async def create_message_batch(request: Request, orch: OrchestratorDep) -> Response:
    """A batch of Messages requests, each run as ``POST /v1/messages`` by the key that made it."""
    body = await json_object(request)
    lines = _lines(decode(body, wire.MessageBatchCreateRequest), body)
    settings: Settings = request.app.state.settings
    files: FileStore = request.app.state.files
    key_id = owner()

    def create() -> StoredBatch:
        read = read_lines(lines, endpoint=URL, max_lines=settings.batch_input_max_lines)
        if read.errors:
            raise BadRequestError(str(read.errors[0]["message"]), param="requests")
        source = files.add_lines(key_id=key_id, purpose="batch", filename="message_batch_requests.jsonl",
                                 lines=[line.decode() for line in lines])  # fmt: skip
        return _batches(request).create(key_id=key_id, endpoint=URL, input_file_id=source.file_id, read=read,
                                         completion_window="24h", metadata=None, prefix="msgbatch_")  # fmt: skip

    return json_response(await _object(request, await asyncio.to_thread(create)))


@ROUTES.get("/v1/messages/batches/{message_batch_id}", role=Role.INFER, answer=wire.MessageBatch)
async def retrieve_message_batch(message_batch_id: str, request: Request) -> Response:
    """The batch: ``processing_status``, ``request_counts``, its times, ``results_url`` once it ended."""
    return json_response(await _object(request, await _get(request, message_batch_id)))


@ROUTES.get("/v1/messages/batches", role=Role.INFER, answer=wire.MessageBatchList)
async def list_message_batches(
    request: Request, before_id: str | None = None, after_id: str | None = None, limit: int = 20
) -> Response:
    """The key's message batches, newest first; the page after ``after_id`` or before ``before_id``;
    ``limit`` 1 to 1000."""
    limit = max(1, min(limit, 1000))
    for mark in (before_id, after_id):
        if mark:
            await _get(request, mark)
    found = await asyncio.to_thread(_batches(request).list, key_id=owner(), after=after_id, before=before_id,
                                    limit=limit + 1, endpoint=URL)  # fmt: skip
    more = len(found) > limit
    shown = found[1:] if more and before_id else found[:limit]
    data = [await _object(request, stored) for stored in shown]
    first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
    return json_response({"data": data, "has_more": more, "first_id": first, "last_id": last})


@ROUTES.post("/v1/messages/batches/{message_batch_id}/cancel", role=Role.INFER, body=None, answer=wire.MessageBatch)
async def cancel_message_batch(message_batch_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """``canceling`` at once, no more requests started; ``ended`` once those in flight are answered (each
    request never sent is ``canceled``)."""
    await _get(request, message_batch_id)
    stored = await asyncio.to_thread(_batches(request).cancel, message_batch_id, key_id=owner())
    return json_response(await _object(request, stored))


@ROUTES.delete("/v1/messages/batches/{message_batch_id}", role=Role.INFER, answer=wire.DeletedMessageBatch)
async def delete_message_batch(message_batch_id: str, request: Request) -> Response:
    """Forget an ended batch, its requests and results (one still processing is refused: cancel it first)."""
    stored = await _get(request, message_batch_id)
    if stored.status not in shapes.ENDED:
        raise BadRequestError(f"Message Batch {message_batch_id} cannot be deleted while it is processing; "
                              "cancel it first, and delete it once it ended", param="message_batch_id")  # fmt: skip
    await asyncio.to_thread(deletion.delete_batch, _batches(request), request.app.state.files, stored)
    return json_response({"id": message_batch_id, "type": "message_batch_deleted"})


@ROUTES.get(
    "/v1/messages/batches/{message_batch_id}/results", role=Role.INFER, answer=wire.MessageBatchIndividualResponse
)
async def message_batch_results(message_batch_id: str, request: Request) -> Response:
    """The results, JSON lines in the requests' order: ``{"custom_id", "result": {"type": "succeeded",
    "message"} | {"type": "errored", "error"} | {"type": "canceled"} | {"type": "expired"}}``."""
    stored = await _get(request, message_batch_id)
    if stored.status not in shapes.ENDED:
        raise BadRequestError(f"Message Batch {message_batch_id} has not ended yet; its results come once "
                              "processing_status is ended", param="message_batch_id")  # fmt: skip
    lines = await asyncio.to_thread(_batches(request).lines, message_batch_id)
    out = b"".join(orjson.dumps(shapes.result_line(custom_id, ok=ok, recorded=recorded, status=stored.status))
                   + b"\n" for custom_id, ok, recorded in lines)  # fmt: skip
    return Response(out, media_type="application/x-jsonl")


def _lines(asked: wire.MessageBatchCreateRequest, body: dict[str, Any]) -> list[bytes]:
    """Each request as an input line of the engine's, once every one reads as ``POST /v1/messages`` would.

    Raises:
        RequestValidationError: a request that would be refused alone, a stream, or a repeated ``custom_id``.
    """
    seen: set[str] = set()
    lines = []
    for index, (item, raw) in enumerate(zip(asked.requests, body["requests"], strict=True)):
        where = f"requests[{index}]"
        try:
            call = read_call(item.params)
        except HfGateError as exc:
            problems = exc.problems if isinstance(exc, RequestValidationError) else [exc.reason]
            raise RequestValidationError([f"{where}.params: {p}" for p in problems], param=f"{where}.params") from None
        if call.stream:
            raise RequestValidationError([f"Field [{where}.params.stream] is true; a batch's requests are answered "
                                          "whole: leave it out"], param=f"{where}.params.stream")  # fmt: skip
        if item.custom_id in seen:
            raise RequestValidationError([f"Field [{where}.custom_id] repeats [{item.custom_id}]; each request of "
                                          "a batch needs its own custom_id"], param=f"{where}.custom_id")  # fmt: skip
        seen.add(item.custom_id)
        line = {"custom_id": item.custom_id, "method": "POST", "url": URL, "body": raw["params"]}
        lines.append(orjson.dumps(line))
    return lines


async def _get(request: Request, batch_id: str) -> StoredBatch:
    """The key's message batch; a batch of another endpoint (an OpenAI batch) is not one."""
    stored = await asyncio.to_thread(_batches(request).get, batch_id, key_id=owner())
    if stored.endpoint != URL:
        raise NotFoundError(f"No message batch found with id '{batch_id}'.", param="message_batch_id")
    return stored


def _batches(request: Request) -> BatchStore:
    store: BatchStore = request.app.state.batches
    return store


async def _object(request: Request, stored: StoredBatch) -> dict[str, Any]:
    store = _batches(request)
    if stored.status in shapes.ENDED:
        lines = await asyncio.to_thread(store.lines, stored.batch_id)
        counts = shapes.request_counts(total=len(lines), lines=lines, status=stored.status)
    else:
        total = (await asyncio.to_thread(store.progress, stored.batch_id)).request_counts["total"]
        counts = shapes.request_counts(total=total, status=stored.status)
    url = f"{str(request.base_url).rstrip('/')}/v1/messages/batches/{stored.batch_id}/results"
    return shapes.message_batch(stored, counts=counts, results_url=url)
