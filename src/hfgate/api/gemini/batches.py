"""Gemini's Batch API (``client.batches.*`` of ``google-genai``) on the batch engine (:mod:`hfgate.batches`) that
runs OpenAI's and Anthropic's batches.

``POST /v1beta/models/{model}:batchGenerateContent`` and ``…:asyncBatchEmbedContent`` take a batch of inline
requests: each is checked whole at create (a generateContent request as ``…:generateContent`` reads it; a
fault is a 400 naming the request's index), then written as an input file of the engine's lines whose
``url`` is ``/v1beta/models/{model}:generateContent`` (or ``:embedContent``) and stored as a batch of that
endpoint. The replicas' runners send each line through the app as a request of the key that made the batch
(its role, limits, usage and budget apply); this module maps the engine's batch to Gemini's operation
(:mod:`.batch_shapes`). A batch belongs to its key, and only Gemini batches are seen here: any other is told
it does not exist (404). ``GET /v1beta/batches`` pages with ``pageSize`` and ``pageToken``; ``:cancel`` stops
a batch starting more requests; ``DELETE`` forgets a batch that is over. A batch's requests come inline (its
answers in ``inlinedResponses``) or in an uploaded JSONL file of ``{"key", "request"}`` lines
(``inputConfig.fileName``, :mod:`.files`; its answers in ``responsesFile``, ``{"key", "response" | "error"}``
lines).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request, Response

from hfgate.access.principal import current_key_id as owner
from hfgate.access.roles import Role
from hfgate.api.body import decode, json_object, json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.gemini import batch_schema as wire
from hfgate.api.gemini import batch_shapes as shapes
from hfgate.api.gemini.errors import FACE as GEMINI
from hfgate.api.gemini.files import file_bytes, read_file
from hfgate.api.gemini.requests import read_call
from hfgate.api.gemini.schema import EmbedContentRequest, GeminiError, GenerateContentRequest
from hfgate.batches import deletion
from hfgate.batches.files import FileStore
from hfgate.batches.input import GEMINI_PREFIX, MOST_CUSTOM_ID, gemini_endpoint, read_lines
from hfgate.batches.store import BatchStore, StoredBatch
from hfgate.config import Settings
from hfgate.errors import BadRequestError, HfGateError, NotFoundError, RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.tasks import TaskType

ROUTES = FaceRoutes(GEMINI, tag="Gemini-compatible", error=GeminiError)

_MODELS = "/v1beta/models"
_BATCHES = "/v1beta/batches"


@ROUTES.post(f"{_MODELS}/{{model:path}}:batchGenerateContent", role=Role.INFER,
             body=wire.BatchGenerateContentRequest, answer=wire.BatchOperation)  # fmt: skip
async def batch_generate_content(model: str, request: Request, orch: OrchestratorDep) -> Response:
    """A batch of generateContent requests, each run as ``POST …/models/{model}:generateContent``."""
    return await _batch(
        request, orch, model, wire.BatchGenerateContentRequest, TaskType.CHAT_COMPLETION,
        lambda raw: read_call(decode(raw, GenerateContentRequest)), action="generateContent",
    )  # fmt: skip


@ROUTES.post(f"{_MODELS}/{{model:path}}:asyncBatchEmbedContent", role=Role.INFER,
             body=wire.AsyncBatchEmbedContentRequest, answer=wire.BatchOperation)  # fmt: skip
async def async_batch_embed_content(model: str, request: Request, orch: OrchestratorDep) -> Response:
    """A batch of embedContent requests, each run as ``POST …/models/{model}:embedContent``."""
    return await _batch(request, orch, model, wire.AsyncBatchEmbedContentRequest, TaskType.TEXT_EMBEDDING,
                        lambda raw: decode(raw, EmbedContentRequest), action="embedContent")  # fmt: skip


async def _batch(
    request: Request, orch: Orchestrator, model: str, shape: type[wire.BatchGenerateContentRequest]
    | type[wire.AsyncBatchEmbedContentRequest], task: TaskType, read: Callable[[Any], object], *, action: str,
) -> Response:  # fmt: skip
    """A batch of ``action`` requests on ``model``'s ``task`` endpoint, each checked as ``read`` reads it."""
    body = await json_object(request)
    asked = decode(body, shape)
    await orch.endpoint_for(model, task)
    config = asked.batch.input_config
    pairs, fields = await _requests(request, body, file_name=config.file_name, inline=config.requests is not None)
    _check_each(pairs, fields, read)
    stored = await _create(request, body, model=model, action=action, display=asked.batch.display_name,
                           pairs=pairs, from_file=config.file_name is not None)  # fmt: skip
    return json_response(await _operation(request, stored))


@ROUTES.get(f"{_BATCHES}/{{name}}", role=Role.INFER, answer=wire.BatchOperation)
async def get_batch(name: str, request: Request) -> Response:
    """The batch's operation: its state and counts; once ``done``, each request's response or error."""
    return json_response(await _operation(request, await _get(request, name)))


@ROUTES.get(_BATCHES, role=Role.INFER, answer=wire.ListBatchesResponse)
async def list_batches(request: Request, pageSize: int = 50, pageToken: str | None = None) -> Response:  # noqa: N803
    """The key's Gemini batches, newest first, ``pageSize`` (1 to 1000) a page; ``nextPageToken`` while more."""
    size = max(1, min(pageSize, 1000))
    if pageToken:
        await _get(request, pageToken)
    found = await asyncio.to_thread(_batches(request).list, key_id=owner(), after=pageToken or None,
                                    limit=size + 1, endpoint_prefix=GEMINI_PREFIX)  # fmt: skip
    page = found[:size]
    listed: dict[str, Any] = {"operations": [await _operation(request, stored) for stored in page]}
    if len(found) > size:
        listed["nextPageToken"] = page[-1].batch_id
    return json_response(listed)


@ROUTES.post(f"{_BATCHES}/{{name}}:cancel", role=Role.INFER, body=None, answer=wire.Empty)
async def cancel_batch(name: str, request: Request, orch: OrchestratorDep) -> Response:
    """No more of the batch's requests are started; it ends ``BATCH_STATE_CANCELLED`` once those in flight are
    answered (each request never sent: a ``CANCELLED`` error)."""
    await _get(request, name)
    await asyncio.to_thread(_batches(request).cancel, name, key_id=owner())
    return json_response({})


@ROUTES.delete(f"{_BATCHES}/{{name}}", role=Role.INFER, answer=wire.Empty)
async def delete_batch(name: str, request: Request) -> Response:
    """Forget a batch that is over, with its requests and results (one still running: cancel it first)."""
    stored = await _get(request, name)
    if stored.status not in shapes.ENDED:
        raise BadRequestError(f"Batch batches/{name} is still running; cancel it, and delete it once it is done",
                              param="name")  # fmt: skip
    await asyncio.to_thread(deletion.delete_batch, _batches(request), request.app.state.files, stored)
    return json_response({})


def _where(body: dict[str, Any]) -> str:
    """The input config's field as the body spells it."""
    batch = body.get("batch") or {}
    return "batch." + ("input_config" if "input_config" in batch else "inputConfig")


Pair = tuple[dict[str, Any] | None, Any]
"""A request's ``metadata`` (``{"key"}`` for a file's line) and the request as sent."""


async def _requests(
    request: Request, body: dict[str, Any], *, file_name: str | None, inline: bool
) -> tuple[list[Pair], list[str]]:
    """The batch's requests, inline or in its input file, each with the field that names it in errors.

    Raises:
        BadRequestError: both or neither given; a file line that is not ``{"key", "request": {…}}``.
        NotFoundError: no such file of this key's.
    """
    where = _where(body)
    if (file_name is None) == (not inline):
        raise BadRequestError(f"[{where}] needs one of [requests] (the requests) or [fileName] (an uploaded file "
                              "of them)", param=f"{where}.requests")  # fmt: skip
    config = body["batch"][where.removeprefix("batch.")]
    if file_name is None:
        raw = config["requests"]["requests"]
        return ([(item.get("metadata"), item["request"]) for item in raw],
                [f"{where}.requests.requests[{n}].request" for n in range(len(raw))])  # fmt: skip
    stored = await read_file(request, file_name)
    files: FileStore = request.app.state.files
    content = await asyncio.to_thread(file_bytes, files, stored)
    pairs: list[Pair] = []
    fields: list[str] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        field = f"{where}.fileName [{file_name}] line {number}"
        try:
            read = orjson.loads(line)
        except orjson.JSONDecodeError:
            read = None
        if not isinstance(read, dict) or not isinstance(read.get("request"), dict):
            raise BadRequestError(f'[{field}] must be a JSON object {{"key", "request": {{…}}}}', param=field)
        key = read.get("key")
        pairs.append(({"key": str(key)} if key is not None else None, read["request"]))
        fields.append(f"{field}: request")
    if not pairs:
        raise BadRequestError(f"[{where}.fileName] names an empty file", param=f"{where}.fileName")
    return pairs, fields


async def _create(
    request: Request, body: dict[str, Any], *, model: str, action: str, display: str | None, pairs: list[Pair],
    from_file: bool,
) -> StoredBatch:  # fmt: skip
    settings: Settings = request.app.state.settings
    files: FileStore = request.app.state.files
    where = _where(body)
    url = gemini_endpoint(model, action)
    lines = []
    for index, (about, item) in enumerate(pairs):
        custom_id = shapes.line_key(index, about)
        if len(custom_id) > MOST_CUSTOM_ID - 16:
            field = f"{where}.requests.requests[{index}].metadata"
            raise BadRequestError(f"[{field}] is too long: at most about 1000 characters as JSON", param=field)
        lines.append(orjson.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": item}))
    key_id = owner()
    about_batch = {"model": f"models/{model}", "source": "file" if from_file else "inline",
                   **({"display_name": display} if display is not None else {})}  # fmt: skip

    def create() -> StoredBatch:
        read = read_lines(lines, endpoint=url, max_lines=settings.batch_input_max_lines)
        if read.errors:
            raise BadRequestError(f"[{where}.requests.requests]: {read.errors[0]['message']}",
                                  param=f"{where}.requests.requests")  # fmt: skip
        source = files.add_lines(key_id=key_id, purpose="batch", filename="gemini_batch_requests.jsonl",
                                 lines=[line.decode() for line in lines])  # fmt: skip
        return _batches(request).create(key_id=key_id, endpoint=url, input_file_id=source.file_id, read=read,
                                         completion_window="24h", metadata=about_batch, prefix="gembatch_")  # fmt: skip

    return await asyncio.to_thread(create)


async def _get(request: Request, name: str) -> StoredBatch:
    """The key's Gemini batch ``name`` (its id, without ``batches/``); any other batch is not one."""
    try:
        stored = await asyncio.to_thread(_batches(request).get, name, key_id=owner())
    except NotFoundError:
        stored = None
    if stored is None or not stored.endpoint.startswith(GEMINI_PREFIX):
        raise NotFoundError(f"Batch batches/{name} not found.", param="name")
    return stored


def _check_each(pairs: list[Pair], fields: list[str], read: Callable[[Any], object]) -> None:
    """Read each request as its route will (``read``); the first that cannot be is a 400 naming its field."""
    for (_, raw), field in zip(pairs, fields, strict=True):
        try:
            read(raw)
        except HfGateError as exc:
            problems = exc.problems if isinstance(exc, RequestValidationError) else [exc.reason]
            raise RequestValidationError([f"{field}: {p}" for p in problems], param=field) from None


def _batches(request: Request) -> BatchStore:
    store: BatchStore = request.app.state.batches
    return store


async def _operation(request: Request, stored: StoredBatch) -> dict[str, Any]:
    store = _batches(request)
    counts = (await asyncio.to_thread(store.progress, stored.batch_id)).request_counts
    lines = await asyncio.to_thread(store.lines, stored.batch_id) if stored.status in shapes.ENDED else None
    return shapes.operation(stored, counts=counts, lines=lines)
