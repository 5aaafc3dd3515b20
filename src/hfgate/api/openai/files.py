"""``/v1/files``: OpenAI's Files API, what ``client.files.create/list/retrieve/content/delete`` send.

A file belongs to the key that uploaded it (the gateway's key; ``""`` while the gateway is open): another key
is told it does not exist. The upload is a multipart form (``file``, ``purpose``, ``expires_after[anchor]``,
``expires_after[seconds]``) whose file is copied to the store piece by piece
(:class:`~hfgate.batches.files.FileStore`: a directory or an S3 bucket) and read back as a stream; a body
over ``HFGATE_BATCH_FILE_MAX_BYTES`` is refused by the gateway (413), a batch input over
``HFGATE_BATCH_INPUT_MAX_BYTES`` or ``HFGATE_BATCH_INPUT_MAX_LINES`` here (400), each naming its setting.
``POST /v1/files`` is a plain route (:func:`hfgate.api.declare.plain_route`), as the routes declared after it
are.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import UploadFile
from starlette.responses import StreamingResponse

from hfgate.access.principal import current_key_id
from hfgate.access.roles import Role
from hfgate.api.body import decode, form_of, json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers
from hfgate.api.openai.batch_schema import FileDeleted, FileList, FileObject, FileUploadForm
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.batches.files import FileStore, InputLimits, StoredFile, streamed
from hfgate.config import Settings
from hfgate.errors import RequestValidationError

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)

_MOST_NAME = 1024
"""A file's name is kept to this many characters (the registry's column)."""


def owner() -> str:
    """The key this request's files and batches belong to (``""`` while the gateway is open)."""
    return current_key_id()


BATCH_FILE_SECONDS = 30 * 86400
"""How long a file of purpose ``batch`` uploaded without ``expires_after`` is kept: 30 days, as OpenAI's
("By default, files with purpose=batch expire after 30 days"; other files are kept until deleted)."""


@ROUTES.post("/v1/files", role=Role.INFER, body=FileUploadForm, answer=FileObject, form=True)
async def create_file(request: Request, orch: OrchestratorDep) -> Response:
    """Upload a file: ``file``, ``purpose`` (``batch`` for a batch's input), ``expires_after``."""
    settings: Settings = request.app.state.settings
    async with form_of(request, max_files=1, max_fields=16) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RequestValidationError(["[file] is required: the file's bytes, as a multipart part"], param="file")
        fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
        upload_form = decode({**fields, "file": b""}, FileUploadForm)
        limits = InputLimits(max_bytes=settings.batch_input_max_bytes, max_lines=settings.batch_input_max_lines)
        name = (upload.filename or "upload")[:_MOST_NAME]
        stored = await asyncio.to_thread(
            _files(request).add, key_id=owner(), purpose=upload_form.purpose, filename=name, source=upload.file,
            expires_after=upload_form.seconds or (BATCH_FILE_SECONDS if upload_form.purpose == "batch" else None),
            limits=limits if upload_form.purpose == "batch" else None,
        )  # fmt: skip
    return json_response(stored.object())


@ROUTES.get("/v1/files", role=Role.INFER, answer=FileList)
async def list_files(
    request: Request, purpose: str | None = None, limit: int = 10000, order: str = "desc", after: str | None = None
) -> Response:
    """The key's files, newest first (``order=asc``: oldest first); ``purpose`` and ``after`` narrow it."""
    if order not in ("asc", "desc"):
        raise RequestValidationError(["[order] must be asc or desc"], param="order")
    limit = max(1, min(limit, 10000))
    found = await asyncio.to_thread(_files(request).list, key_id=owner(), purpose=purpose, after=after,
                                    limit=limit + 1, newest_first=order == "desc")  # fmt: skip
    return json_response(page([f.object() for f in found], limit=limit))


@ROUTES.get("/v1/files/{file_id}", role=Role.INFER, answer=FileObject)
async def retrieve_file(file_id: str, request: Request) -> Response:
    """The file's object, to the key that uploaded it."""
    return json_response((await _own(request, file_id)).object())


@ROUTES.get("/v1/files/{file_id}/content", role=Role.INFER, text=True)
async def file_content(file_id: str, request: Request) -> Response:
    """The file's bytes, as uploaded (a batch's output: its JSON lines)."""
    stored = await _own(request, file_id)
    opened = await asyncio.to_thread(_files(request).open, stored)
    return StreamingResponse(streamed(opened), media_type="application/octet-stream",
                             headers={"content-length": str(stored.size)})  # fmt: skip


@ROUTES.delete("/v1/files/{file_id}", role=Role.INFER, answer=FileDeleted)
async def delete_file(file_id: str, request: Request) -> Response:
    """Delete the file (a batch it started goes on: its lines are in the registry)."""
    gone = await asyncio.to_thread(_files(request).delete, file_id, key_id=owner())
    return json_response({"id": gone.file_id, "object": "file", "deleted": True})


def page(data: list[dict[str, Any]], *, limit: int) -> dict[str, Any]:
    """OpenAI's list object of at most ``limit`` items (``data`` holds one more when there are more)."""
    shown = data[:limit]
    first, last = (shown[0]["id"], shown[-1]["id"]) if shown else (None, None)
    return {"object": "list", "data": shown, "first_id": first, "last_id": last, "has_more": len(data) > limit}


def _files(request: Request) -> FileStore:
    store: FileStore = request.app.state.files
    return store


async def _own(request: Request, file_id: str) -> StoredFile:
    return await asyncio.to_thread(_files(request).get, file_id, key_id=owner())
