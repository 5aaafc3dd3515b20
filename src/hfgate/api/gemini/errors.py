"""Gemini's error shape: ``{"error": {"code", "message", "status"}}``.

Source: Google's API design guide, "Errors" (google.rpc.Status over HTTP), as the Gemini API answers:
400 ``INVALID_ARGUMENT``, 401 ``UNAUTHENTICATED``, 403 ``PERMISSION_DENIED``, 404 ``NOT_FOUND``,
408/504 ``DEADLINE_EXCEEDED``, 409 ``ABORTED``, 429 ``RESOURCE_EXHAUSTED``, 499 ``CANCELLED``,
500 ``INTERNAL``, 501 ``UNIMPLEMENTED``, 503 ``UNAVAILABLE``. ``google-genai`` raises its ``ClientError``
(4xx) or ``ServerError`` (5xx) from this body, and reads the same object when it comes as a streamed event.
"""

from __future__ import annotations

import re
from typing import Any

from hfgate.api.face import Face
from hfgate.errors import HfGateError, RequestValidationError

_STATUSES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
             408: "DEADLINE_EXCEEDED", 409: "ABORTED", 413: "INVALID_ARGUMENT", 422: "INVALID_ARGUMENT",
             429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE",
             504: "DEADLINE_EXCEEDED", 507: "RESOURCE_EXHAUSTED"}  # fmt: skip


def status_name(code: int) -> str:
    """google.rpc's status name for an HTTP status.

    Example:
        >>> status_name(429), status_name(502)
        ('RESOURCE_EXHAUSTED', 'INTERNAL')
    """
    return _STATUSES.get(code, "INTERNAL" if code >= 500 else "FAILED_PRECONDITION")


def error_body(error: HfGateError) -> dict[str, Any]:
    """The error object; a validation error's message is its problems, without Elasticsearch's numbering."""
    message = "; ".join(error.problems) if isinstance(error, RequestValidationError) else error.reason
    return {"error": {"code": error.status, "message": message, "status": status_name(error.status)}}


def render_gemini(path: str, error: HfGateError) -> tuple[int, dict[str, Any]]:
    """Status and body as the Gemini API would send them."""
    return error.status, error_body(error)


MODEL_ACTIONS = ("generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents")
"""The model actions the Gemini face answers (``POST models/{model}:{action}``)."""

FACE = Face(
    "gemini",
    ("/v1beta/", "/upload/v1beta/"),
    render_gemini,
    pattern=re.compile(rf"/v1/models/.+:(?:{'|'.join(MODEL_ACTIONS)})\Z", re.DOTALL),
)
"""Gemini's model actions under ``/v1`` (``google-genai``'s default version) are Gemini's, not OpenAI's, whatever
the model's name holds (a path's ``?`` or a newline arrives decoded); the OpenAI face's ``GET /v1/models/{model}``
keeps a model id with a colon in it (``qwen2.5:7b``)."""
