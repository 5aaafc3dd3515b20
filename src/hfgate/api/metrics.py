"""``GET /metrics``: Prometheus' text format (see :mod:`hfgate.telemetry.metrics` for what is in it)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hfgate.telemetry.exposition import render

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Prometheus metrics of this replica (all its workers)")
def metrics() -> Response:
    body, content_type = render()
    return Response(content=body, media_type=content_type)
