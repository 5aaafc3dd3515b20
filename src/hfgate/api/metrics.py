"""``GET /metrics``: Prometheus' text format (see :mod:`hfgate.telemetry.metrics` for what is in it)."""

from __future__ import annotations

from fastapi import Response

from hfgate.access.roles import Role
from hfgate.api.declare import FaceRoutes
from hfgate.api.faces import OTHER
from hfgate.telemetry.exposition import render

ROUTES = FaceRoutes(OTHER, tag="metrics", error=None)


@ROUTES.get("/metrics", role=Role.MONITOR, text=True)
def metrics() -> Response:
    """Prometheus metrics of this replica (all its workers)."""
    body, content_type = render()
    return Response(content=body, media_type=content_type)
