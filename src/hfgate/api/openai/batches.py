"""``/v1/batches``: OpenAI's Batch API, what ``client.batches.create/retrieve/list/cancel`` send.

Creating a batch reads its input file and checks every line (:mod:`hfgate.batches.input`) before anything runs:
a file with a bad line makes a ``failed`` batch whose ``errors`` name the lines; otherwise the batch is
``in_progress`` and the replicas' runners send its lines (:mod:`hfgate.batches.runner`), each through the app
as a request of the key that made the batch. A batch belongs to that key: another key is told it does not
exist. ``POST`` routes are plain (:func:`hfgate.api.declare.plain_route`), as the routes declared after them are.
"""

from __future__ import annotations

import asyncio

from fastapi import Request, Response

from hfgate.access.roles import Role
from hfgate.api.body import json_response, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers
from hfgate.api.openai.batch_schema import BatchList, BatchObject, BatchRequest
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.api.openai.files import owner, page
from hfgate.batches.files import FileStore
from hfgate.batches.input import read_lines
from hfgate.batches.store import BatchStore, StoredBatch
from hfgate.config import Settings
from hfgate.errors import BadRequestError, RequestValidationError

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)

_METADATA_PAIRS = 16


@ROUTES.post("/v1/batches", role=Role.INFER, body=BatchRequest, answer=BatchObject)
async def create_batch(request: Request, orch: OrchestratorDep) -> Response:
    """A batch of the requests in ``input_file_id``, each sent to ``endpoint``; ``completion_window`` 24h."""
    asked = await read_body(request, BatchRequest)
    _check_metadata(asked.metadata)
    files: FileStore = request.app.state.files
    settings: Settings = request.app.state.settings
    key_id = owner()
    source = await asyncio.to_thread(files.get, asked.input_file_id, key_id=key_id)
    if source.purpose != "batch":
        raise BadRequestError(f"the file [{source.file_id}] has purpose [{source.purpose}]; a batch's input file "
                              "is uploaded with purpose [batch]", param="input_file_id")  # fmt: skip

    expiry = None if asked.output_expires_after is None else asked.output_expires_after.seconds

    def create() -> StoredBatch:
        with files.open(source) as lines:
            read = read_lines(lines, endpoint=asked.endpoint, max_lines=settings.batch_input_max_lines)
        return _batches(request).create(key_id=key_id, endpoint=asked.endpoint, input_file_id=source.file_id,
                                         completion_window=asked.completion_window, metadata=asked.metadata,
                                         read=read, output_expires_after=expiry)  # fmt: skip

    return json_response(await _object(request, await asyncio.to_thread(create)))


@ROUTES.get("/v1/batches/{batch_id}", role=Role.INFER, answer=BatchObject)
async def retrieve_batch(batch_id: str, request: Request) -> Response:
    """The batch: its status and timestamps, ``request_counts``, ``errors``, its output and error files."""
    stored = await asyncio.to_thread(_batches(request).get, batch_id, key_id=owner())
    return json_response(await _object(request, stored))


@ROUTES.get("/v1/batches", role=Role.INFER, answer=BatchList)
async def list_batches(request: Request, after: str | None = None, limit: int = 20) -> Response:
    """The key's batches, newest first, those older than ``after`` (a batch id) only; ``limit`` 1 to 100."""
    limit = max(1, min(limit, 100))
    found = await asyncio.to_thread(_batches(request).list, key_id=owner(), after=after, limit=limit + 1)
    return json_response(page([await _object(request, stored) for stored in found], limit=limit))


@ROUTES.post("/v1/batches/{batch_id}/cancel", role=Role.INFER, body=None, answer=BatchObject)
async def cancel_batch(batch_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """Cancel: ``cancelling`` at once, no more lines started; ``cancelled`` once the lines in flight are answered,
    with their results in the output and error files."""
    stored = await asyncio.to_thread(_batches(request).cancel, batch_id, key_id=owner())
    return json_response(await _object(request, stored))


def _check_metadata(metadata: dict[str, str] | None) -> None:
    """OpenAI's bounds: at most 16 pairs, keys of up to 64 characters, values of up to 512."""
    if metadata is None:
        return
    if len(metadata) > _METADATA_PAIRS or any(len(k) > 64 or len(v) > 512 for k, v in metadata.items()):
        raise RequestValidationError(
            [f"[metadata] holds at most {_METADATA_PAIRS} pairs, keys of up to 64 characters, values of up to 512"],
            param="metadata",
        )


def _batches(request: Request) -> BatchStore:
    store: BatchStore = request.app.state.batches
    return store


async def _object(request: Request, stored: StoredBatch) -> dict[str, object]:
    return stored.object(await asyncio.to_thread(_batches(request).progress, stored.batch_id))
