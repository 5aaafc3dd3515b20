"""The web page's batches: the key's batches with their progress, pace and estimated finish, a download of
each one's output and errors, and cancel (the page's script calls ``POST /v1/batches/{id}/cancel``)."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from hfgate.access.principal import current_key_id
from hfgate.access.roles import Role
from hfgate.api.declare import PageRoutes
from hfgate.api.ui.access import AccessDep, TextDep, to_login
from hfgate.api.ui.batch_view import BatchRow, batch_row
from hfgate.api.ui.rendering import render_page
from hfgate.batches.files import FileStore, streamed
from hfgate.batches.store import BatchStore

PAGES = PageRoutes()
SHOWN = 50
REFRESH_SECONDS = 3


@PAGES.get("/ui/batches", role=Role.INFER)
async def batches_page(request: Request, access: AccessDep, *, text: TextDep) -> Response:
    """The newest batches of the key logged in (of everyone's requests while the gateway is open)."""
    if not access.allowed:
        return to_login(request)
    store: BatchStore = request.app.state.batches

    def read() -> list[BatchRow]:
        found = store.list(key_id=current_key_id(), after=None, limit=SHOWN)
        return [batch_row(batch, store.progress(batch.batch_id)) for batch in found]

    rows = await asyncio.to_thread(read)
    return render_page("batches.html", access, text=text, here="/ui/batches", title=text.gettext("Batches"),
                       batches=rows, refresh=REFRESH_SECONDS if any(r.running for r in rows) else None)  # fmt: skip


@PAGES.get("/ui/files/{file_id}/content", role=Role.INFER)
async def download(file_id: str, request: Request, access: AccessDep) -> Response:
    """A file of the key's (a batch's output or errors) as a download, as ``/v1/files/{id}/content`` reads it."""
    if not access.allowed:
        return to_login(request)
    files: FileStore = request.app.state.files
    stored = await asyncio.to_thread(files.get, file_id, key_id=current_key_id())
    opened = await asyncio.to_thread(files.open, stored)
    headers = {"content-length": str(stored.size), "content-disposition": f'attachment; filename="{file_id}.jsonl"'}
    return StreamingResponse(streamed(opened), media_type="application/octet-stream", headers=headers)
