"""``POST /_hfgate/apply`` and ``GET /_hfgate/export`` (admin role): configuration as code over HTTP.

``POST /_hfgate/apply`` ``{"document": "<YAML or JSON text>", "file": "hfgate.yaml", "env": {"HF_TOKEN":
"…"}, "dry_run": false, "prune": false}``: ``env`` carries the values of the file's ``${ENV_VAR}``
references (``hfgate apply`` sends those of its own environment). ``GET /_hfgate/export?format=yaml``. Both are
declared once (:mod:`hfgate.api.declare`), the body decoded by :class:`~hfgate.api.apply.schema.ApplyRequest`;
``/_hfgate`` is no face's: errors come in Elasticsearch's envelope, hfgate's own.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import Query, Request
from fastapi.responses import PlainTextResponse

from hfgate.access.roles import Role
from hfgate.api.apply.export import export_data, render
from hfgate.api.apply.run import apply_document
from hfgate.api.apply.schema import ApplyRequest, ApplyResult
from hfgate.api.body import read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import AccessDep, OrchestratorDep
from hfgate.api.faces import OTHER

ROUTES = FaceRoutes(OTHER, tag="_hfgate: configuration as code", error=None)


@ROUTES.post("/_hfgate/apply", role=Role.ADMIN, body=ApplyRequest, answer=ApplyResult)
async def apply_route(request: Request, orchestrator: OrchestratorDep, access: AccessDep) -> dict[str, Any]:
    """Make the registry match a file (or, with ``dry_run``, say what would change)."""
    asked = await read_body(request, ApplyRequest)
    return await apply_document(
        asked.document, file=asked.file or "document", env=asked.env or {}, orchestrator=orchestrator, access=access,
        dry_run=asked.dry_run, prune=asked.prune,
    )  # fmt: skip


@ROUTES.get("/_hfgate/export", role=Role.ADMIN, text=True)
async def export_route(
    orchestrator: OrchestratorDep, access: AccessDep, fmt: Literal["yaml", "json"] = Query("yaml", alias="format")
) -> PlainTextResponse:
    """The registry as a file ``apply`` takes, every secret as a ``${ENV_VAR}`` reference."""
    endpoints = await asyncio.to_thread(orchestrator.store.list)
    keys = await asyncio.to_thread(access.keys.list)
    media = "application/json" if fmt == "json" else "application/yaml"
    return PlainTextResponse(render(export_data(endpoints, keys), fmt=fmt), media_type=media)
