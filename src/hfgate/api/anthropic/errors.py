"""Anthropic's error shape: ``{"type": "error", "error": {"type", "message"}}``.

Source: Anthropic's API reference, "Errors": 400 ``invalid_request_error``, 401 ``authentication_error``,
403 ``permission_error``, 404 ``not_found_error``, 413 ``request_too_large``, 429 ``rate_limit_error``,
500 ``api_error``, 529 ``overloaded_error`` (hfgate keeps its own 503 for a model not ready or a drain,
typed ``overloaded_error``: the SDK retries both).
"""

from __future__ import annotations

from typing import Any

from hfgate.api.face import Face
from hfgate.errors import HfGateError, RequestValidationError

_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 413: "request_too_large",
          429: "rate_limit_error", 503: "overloaded_error", 529: "overloaded_error"}  # fmt: skip


def error_type(status: int) -> str:
    """Anthropic's error ``type`` for an HTTP status."""
    if status in _TYPES:
        return _TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


def error_body(error: HfGateError) -> dict[str, Any]:
    """The error object; a validation error's message is its problems, without Elasticsearch's numbering."""
    message = "; ".join(error.problems) if isinstance(error, RequestValidationError) else error.reason
    return {"type": "error", "error": {"type": error_type(error.status), "message": message}}


def render_anthropic(path: str, error: HfGateError) -> tuple[int, dict[str, Any]]:
    """Status and body as Anthropic's API would send them."""
    return error.status, error_body(error)


FACE = Face("anthropic", ("/v1/messages",), render_anthropic)
