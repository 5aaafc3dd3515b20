"""``POST /_hfgate/apply`` and ``GET /_hfgate/export`` (admin role): configuration as code over HTTP.

``POST /_hfgate/apply`` ``{"document": "<YAML or JSON text>", "file": "hfgate.yaml", "env": {"HF_TOKEN":
"…"}, "dry_run": false, "prune": false}``: ``env`` carries the values of the file's ``${ENV_VAR}``
references (``hfgate apply`` sends those of its own environment). ``GET /_hfgate/export?format=yaml``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from hfgate.api.apply.export import export_data, render
from hfgate.api.apply.run import apply_document
from hfgate.api.body import json_object
from hfgate.api.deps import AccessDep, OrchestratorDep
from hfgate.errors import ParseError

router = APIRouter(tags=["_hfgate: configuration as code"])


@router.post("/_hfgate/apply")
async def apply_route(request: Request, orchestrator: OrchestratorDep, access: AccessDep) -> dict[str, Any]:
    """Make the registry match a file (or, with ``dry_run``, say what would change)."""
    request_body = await json_object(request)
    document = request_body.get("document")
    env = request_body.get("env") or {}
    if not isinstance(document, str):
        raise ParseError("[document] is required: the text of the YAML or JSON file", param="document")
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ParseError("[env] must be an object of variable names to string values", param="env")
    return await apply_document(
        document, file=str(request_body.get("file") or "document"), env=env, orchestrator=orchestrator,
        access=access, dry_run=bool(request_body.get("dry_run")), prune=bool(request_body.get("prune")),
    )  # fmt: skip


@router.get("/_hfgate/export")
async def export_route(
    orchestrator: OrchestratorDep, access: AccessDep, fmt: Literal["yaml", "json"] = Query("yaml", alias="format")
) -> PlainTextResponse:
    """The registry as a file ``apply`` takes, every secret as a ``${ENV_VAR}`` reference."""
    endpoints = await asyncio.to_thread(orchestrator.store.list)
    keys = await asyncio.to_thread(access.keys.list)
    media = "application/json" if fmt == "json" else "application/yaml"
    return PlainTextResponse(render(export_data(endpoints, keys), fmt=fmt), media_type=media)
