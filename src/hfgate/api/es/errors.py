"""Elasticsearch's error envelope: ``{"error": {"root_cause", "type", "reason"}, "status"}``."""

from __future__ import annotations

from typing import Any

from hfgate.api.face import Face
from hfgate.errors import HfGateError


def es_error_body(error: HfGateError) -> dict[str, Any]:
    """The body Elasticsearch would send for ``error``; the cause, when it is ours, is the root cause."""
    cause = error.__cause__
    root = cause if isinstance(cause, HfGateError) else error
    detail: dict[str, Any] = {
        "root_cause": [{"type": root.error_type, "reason": root.reason}],
        "type": error.error_type,
        "reason": error.reason,
    }
    if root is not error:
        detail["caused_by"] = {"type": root.error_type, "reason": root.reason}
    return {"error": detail, "status": error.status}


def render_es(path: str, error: HfGateError) -> tuple[int, dict[str, Any]]:
    """Status and body as Elasticsearch would send them."""
    return error.status, es_error_body(error)


FACE = Face("elasticsearch", ("/_inference", "/_security"), render_es, exact=("/",), product_header=True)
"""``GET /`` is Elasticsearch's cluster info (clients check it); ``_security`` holds the keys' API."""
