"""Gemini's Files calls that ``google-genai``'s ``client.files.upload`` and ``client.files.download`` make, on the
file store of OpenAI's Files (:class:`hfgate.batches.files.FileStore`): a batch's JSONL input file in, its
responses file out.

Source: ``google-genai`` 3.6.1, ``files.py`` (``upload``: ``POST upload/{api_version}/files`` with
``{"file": {"mimeType", "sizeBytes", "displayName"}}`` and the resumable protocol's start headers, then the
bytes to the ``x-goog-upload-url`` it answered; ``download``: ``GET files/{name}:download?alt=media``),
``_extra_utils.prepare_resumable_upload`` and ``_api_client.upload_file`` (``X-Goog-Upload-Command: upload``
or ``upload, finalize`` with ``X-Goog-Upload-Offset``; ``x-goog-upload-status`` answers ``active`` until the
last chunk, then ``final`` with ``{"file": File}``). A session's chunks are kept under the file directory
until the last one makes the file (purpose ``batch``, within the batch input limits). A batch's responses
file is ``files/{batch id}-responses``, written from its results when it is read (:mod:`.batches`).
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request, Response

from hfgate.access.principal import current_key_id as owner
from hfgate.access.roles import Role
from hfgate.api.body import json_object, json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.gemini.batch_shapes import ENDED, metadata_of, result, rfc3339
from hfgate.api.gemini.errors import FACE as GEMINI
from hfgate.api.gemini.schema import GeminiError
from hfgate.batches.files import FileStore, InputLimits, StoredFile
from hfgate.batches.input import GEMINI_PREFIX
from hfgate.batches.store import BatchStore
from hfgate.config import Settings
from hfgate.errors import BadRequestError, NotFoundError

ROUTES = FaceRoutes(GEMINI, tag="Gemini-compatible", error=GeminiError)

RESPONSES = "-responses"
"""The end of a batch's responses file's id: ``{batch id}-responses``."""

_UPLOAD = "/upload/v1beta/files"
KEPT_SECONDS = 48 * 3600
"""How long an uploaded file is kept: 48 hours, as Gemini's Files API keeps them ("Files are stored for 48 hours",
ai.google.dev/gemini-api/docs/files); its ``expirationTime`` says when, and the sweep removes it after."""
_MOST_NAME = 1024
"""The longest ``displayName`` kept (the registry's column)."""


@ROUTES.post(_UPLOAD, role=Role.INFER, body=None, query=("upload_id",))
async def upload_file(request: Request, orch: OrchestratorDep) -> Response:
    """Start a resumable upload (``X-Goog-Upload-Command: start``), or take its next chunk (``upload``, the
    last one ``upload, finalize``: the file is made and answered)."""
    command = request.headers.get("x-goog-upload-command", "").replace(" ", "")
    session = request.query_params.get("upload_id", "")
    files: FileStore = request.app.state.files
    key_id = owner()
    if command == "start":
        about = (await json_object(request, required=False)).get("file")
        name = str(about.get("displayName") or about.get("display_name") or "upload.jsonl") if isinstance(
            about, dict) else "upload.jsonl"  # fmt: skip
        session = secrets.token_hex(16)
        await asyncio.to_thread(_start, _sessions(request), session, key_id=key_id, name=name[:_MOST_NAME])
        url = f"{str(request.base_url).rstrip('/')}{_UPLOAD}?upload_id={session}"
        return Response(b"{}", media_type="application/json",
                        headers={"x-goog-upload-url": url, "x-goog-upload-status": "active"})  # fmt: skip
    if command not in ("upload", "upload,finalize"):
        raise BadRequestError("[X-Goog-Upload-Command] must be start, upload or 'upload, finalize'",
                              param="X-Goog-Upload-Command")  # fmt: skip
    chunk = await request.body()
    offset = request.headers.get("x-goog-upload-offset", "0")
    settings: Settings = request.app.state.settings
    limits = InputLimits(max_bytes=settings.batch_input_max_bytes, max_lines=settings.batch_input_max_lines)
    stored = await asyncio.to_thread(_chunk, files, _sessions(request), session, key_id=key_id, chunk=chunk,
                                     offset=offset,
                                     final=command == "upload,finalize", limits=limits)  # fmt: skip
    if stored is None:
        return Response(b"", headers={"x-goog-upload-status": "active"})
    body = orjson.dumps({"file": file_resource(stored, base=str(request.base_url))})
    return Response(body, media_type="application/json", headers={"x-goog-upload-status": "final"})


@ROUTES.get("/v1beta/files/{name}:download", role=Role.INFER, text=True)
async def download_file(name: str, request: Request) -> Response:
    """The file's bytes (``alt=media``); a batch's responses file is written from its results."""
    if name.endswith(RESPONSES):
        written = await asyncio.to_thread(_responses, request.app.state.batches, name.removesuffix(RESPONSES))
        return Response(written, media_type="application/jsonl")
    stored = await _get(request, name)
    files: FileStore = request.app.state.files
    return Response(await asyncio.to_thread(file_bytes, files, stored), media_type="application/jsonl")


@ROUTES.get("/v1beta/files/{name}", role=Role.INFER)
async def get_file(name: str, request: Request) -> Response:
    """The ``File`` resource."""
    return json_response(file_resource(await _get(request, name), base=str(request.base_url)))


@ROUTES.delete("/v1beta/files/{name}", role=Role.INFER)
async def delete_file(name: str, request: Request) -> Response:
    """Forget the file: ``{}``."""
    await _get(request, name)
    files: FileStore = request.app.state.files
    await asyncio.to_thread(files.delete, name, key_id=owner())
    return json_response({})


def file_resource(stored: StoredFile, *, base: str) -> dict[str, Any]:
    """Gemini's ``File``: ``name`` ``files/{id}``, sizes as int64 strings, times RFC 3339, ``ACTIVE``."""
    made = rfc3339(stored.created_at)
    shown = {"name": f"files/{stored.file_id}", "displayName": stored.filename, "mimeType": "application/jsonl",
             "sizeBytes": str(stored.size), "createTime": made, "updateTime": made, "state": "ACTIVE",
             "uri": f"{base.rstrip('/')}/v1beta/files/{stored.file_id}", "source": "UPLOADED"}  # fmt: skip
    if stored.expires_at is not None:
        shown["expirationTime"] = rfc3339(stored.expires_at)
    return shown


async def read_file(request: Request, name: str) -> StoredFile:
    """The key's file ``name`` (``files/{id}`` or its id).

    Raises:
        NotFoundError: no such file of this key's.
    """
    return await _get(request, name.removeprefix("files/"))


async def _get(request: Request, file_id: str) -> StoredFile:
    files: FileStore = request.app.state.files
    try:
        return await asyncio.to_thread(files.get, file_id, key_id=owner())
    except NotFoundError:
        raise NotFoundError(f"File files/{file_id} not found.", param="name") from None


def _responses(store: BatchStore, batch_id: str) -> bytes:
    """A file-input batch's responses, once it is over: a line per request, ``{"key", "response" | "error"}``.

    Raises:
        NotFoundError: no such Gemini batch of this key's that is over.
    """
    try:
        stored = store.get(batch_id, key_id=owner())
    except NotFoundError:
        stored = None
    if stored is None or not stored.endpoint.startswith(GEMINI_PREFIX) or stored.status not in ENDED:
        raise NotFoundError(f"File files/{batch_id}{RESPONSES} not found.", param="name")
    lines = []
    for custom_id, ok, recorded in store.lines(batch_id):
        about = metadata_of(custom_id) or {}
        answered = result(ok, recorded, status=stored.status, metadata=None)
        lines.append(orjson.dumps({"key": about.get("key"), **answered}) + b"\n")
    return b"".join(lines)


def _sessions(request: Request) -> Path:
    """Where upload sessions keep their chunks: the data directory's ``gemini-uploads`` (this replica's)."""
    settings: Settings = request.app.state.settings
    where = settings.data_dir / "gemini-uploads"
    where.mkdir(parents=True, exist_ok=True)
    return where


def file_bytes(files: FileStore, stored: StoredFile) -> bytes:
    """A stored file's whole bytes (a batch's JSONL: at most ``HFGATE_BATCH_INPUT_MAX_BYTES``), from either store."""
    with files.open(stored) as source:
        return source.read()


def _start(where: Path, session: str, *, key_id: str, name: str) -> None:
    (where / f"{session}.json").write_bytes(orjson.dumps({"key_id": key_id, "name": name}))
    (where / f"{session}.part").write_bytes(b"")


def _chunk(
    files: FileStore, where: Path, session: str, *, key_id: str, chunk: bytes, offset: str, final: bool,
    limits: InputLimits,
) -> StoredFile | None:  # fmt: skip
    """Append ``chunk`` at ``offset``; on the ``final`` one, the file made of them all."""
    about, part = where / f"{session}.json", where / f"{session}.part"
    if not session.isalnum() or not about.is_file() or orjson.loads(about.read_bytes())["key_id"] != key_id:
        raise NotFoundError(f"No upload session [{session}] of this key's; start one first", param="upload_id")
    if not offset.isdigit() or int(offset) != part.stat().st_size:
        raise BadRequestError(f"[X-Goog-Upload-Offset] is {offset}; the upload holds {part.stat().st_size} bytes",
                              param="X-Goog-Upload-Offset")  # fmt: skip
    if part.stat().st_size + len(chunk) > limits.max_bytes:
        raise BadRequestError(f"The file is larger than {limits.max_bytes} bytes (HFGATE_BATCH_INPUT_MAX_BYTES)",
                              param="file")  # fmt: skip
    with part.open("ab") as target:
        target.write(chunk)
    if not final:
        return None
    try:
        with part.open("rb") as source:
            return files.add(key_id=key_id, purpose="batch", filename=orjson.loads(about.read_bytes())["name"],
                             source=source, limits=limits, expires_after=KEPT_SECONDS)  # fmt: skip
    finally:
        about.unlink(missing_ok=True)
        part.unlink(missing_ok=True)
